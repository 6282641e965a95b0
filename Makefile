# iae-etat — commandes du projet. « make help » liste les cibles.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installe

.DEFAULT_GOAL := help
.PHONY: help build test lint demo bench clean lock

help: ## Afficher cette aide
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# The versions installed are those of requirements.lock (hashes checked): a new release of a
# dependency cannot change a figure or break a yearly rebuild. « make lock » refreshes it.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

build: $(STAMP) ## Installer si besoin puis construire le département de démonstration (avec le PDF)
	$(BIN)/iae-etat build --pdf

test: $(STAMP) ## Installer si besoin puis lancer les tests
	$(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

lint: $(STAMP) ## Vérifier le style du code (ruff) et les couches de l'architecture (import-linter)
	$(BIN)/ruff check iae_etat tests scripts
	$(BIN)/lint-imports

bench: $(STAMP) ## Mesurer les performances à l'échelle nationale (environ 15 min) : reports/bench/
	$(BIN)/python scripts/bench.py

demo: $(STAMP) ## Régénérer les données fictives de démonstration dans data/raw/
	$(BIN)/iae-etat demo .

lock: $(STAMP) ## Recalculer requirements.lock (versions et empreintes) depuis pyproject.toml
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra test --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean: ## Supprimer les sorties construites (data/processed, reports) et le cache (data/cache)
	rm -rf data/processed/[0-9]* reports/[0-9]* data/cache
