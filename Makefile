# iae-etat — commandes du projet. « make help » liste les cibles.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installe

.DEFAULT_GOAL := help
.PHONY: help build test lint demo bench clean

help: ## Afficher cette aide
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

build: $(STAMP) ## Installer si besoin puis construire le département de démonstration (avec le PDF)
	$(BIN)/iae-etat build --pdf

test: $(STAMP) ## Installer si besoin puis lancer les tests
	$(BIN)/python -m pytest -n auto --dist loadscope

lint: $(STAMP) ## Vérifier le style du code (ruff) et les couches de l'architecture (import-linter)
	$(BIN)/ruff check iae_etat tests scripts
	$(BIN)/lint-imports

bench: $(STAMP) ## Mesurer les performances à l'échelle nationale (environ 10 min) : reports/bench/
	$(BIN)/python scripts/bench.py

demo: $(STAMP) ## Régénérer les données fictives de démonstration dans data/raw/
	$(BIN)/iae-etat demo .

clean: ## Supprimer les sorties construites (data/processed, reports)
	rm -rf data/processed/[0-9]* reports/[0-9]*
