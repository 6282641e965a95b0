"""Settings of the published outputs, read from the ``[rapport]`` section of ``iae-etat.toml``.

``diffusion`` chooses the rows of the dashboard: ``publique`` (default, under statistical
secrecy) or ``restreinte`` (every value, plus the per-structure sheet, for the comité de
pilotage restreint). ``pdf`` asks for ``etat-des-lieux.pdf`` at every build (also
``build --pdf``). ``scenarios`` names the project folder whose what-if files (``*.toml``) the
report summarises in « Pistes pour le plan d'action » (default ``scenarios``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from iae_etat.project.config import Projet
from iae_etat.project.declaration import BY_NAME

DIFFUSIONS = next(k for k in BY_NAME["rapport"].keys if k.name == "diffusion").choices


@dataclass(frozen=True)
class Reglages:
    """What the report stage writes, and at which level of diffusion."""

    diffusion: str = "publique"
    pdf: bool = False
    scenarios: str = "scenarios"


def reglages(projet: Projet) -> Reglages:
    """The ``[rapport]`` section (validated at load, defaults when absent)."""
    rapport = projet.settings.rapport
    return Reglages(diffusion=rapport.diffusion, pdf=rapport.pdf, scenarios=rapport.scenarios)


def scenario_files(projet: Projet) -> list[Path]:
    """The what-if files the report summarises: ``*.toml`` of the configured folder, sorted."""
    folder = projet.dir / reglages(projet).scenarios
    return sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []


@dataclass(frozen=True)
class Campagne:
    """The questionnaire campaign, from the ``[campagne]`` section: ``echeance``, the date by
    which the SIAE return their questionnaire (a TOML date ``2026-03-31`` or the text
    ``"31/03/2026"``), shown in the annotated workbooks and the mail-merge file."""

    echeance: date | None = None

    @property
    def echeance_texte(self) -> str:
        """The deadline as a French date (``31/03/2026``), or an empty string."""
        return self.echeance.strftime("%d/%m/%Y") if self.echeance else ""


def campagne(projet: Projet) -> Campagne:
    """The validated ``[campagne]`` section (no deadline when absent)."""
    return Campagne(echeance=projet.section("campagne").get("echeance"))
