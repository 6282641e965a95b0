"""Settings of the published outputs, read from the ``[rapport]`` section of ``iae-etat.toml``.

``diffusion`` chooses the rows of the dashboard: ``publique`` (default, under statistical
secrecy) or ``restreinte`` (every value, plus the per-structure sheet, for the comité de
pilotage restreint). ``pdf`` asks for ``etat-des-lieux.pdf`` at every build (also
``build --pdf``). ``scenarios`` names the project folder whose what-if files (``*.toml``) the
report summarises in « Pistes pour le plan d'action » (default ``scenarios``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from iae_etat.common.errors import ConfigError
from iae_etat.project.config import Projet

DIFFUSIONS = ("publique", "restreinte")


@dataclass(frozen=True)
class Reglages:
    """What the report stage writes, and at which level of diffusion."""

    diffusion: str = "publique"
    pdf: bool = False
    scenarios: str = "scenarios"


def reglages(projet: Projet) -> Reglages:
    """The validated ``[rapport]`` section (defaults when absent)."""
    section = projet.section("rapport")
    path = projet.config_path
    diffusion = section.get("diffusion", "publique")
    if diffusion not in DIFFUSIONS:
        raise ConfigError(f"{path} : [rapport] diffusion vaut « {diffusion} » ; valeurs "
                          "possibles : « publique » ou « restreinte ».")
    pdf = section.get("pdf", False)
    if not isinstance(pdf, bool):
        raise ConfigError(f"{path} : [rapport] pdf doit valoir true ou false.")
    scenarios = section.get("scenarios", "scenarios")
    if not isinstance(scenarios, str) or not scenarios.strip():
        raise ConfigError(f"{path} : [rapport] scenarios doit être le nom d'un dossier du "
                          "projet, entre guillemets (par exemple « scenarios »).")
    return Reglages(diffusion=diffusion, pdf=pdf, scenarios=scenarios.strip())


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
    value = projet.section("campagne").get("echeance")
    if value is None:
        return Campagne()
    if isinstance(value, date) and not isinstance(value, datetime):
        return Campagne(echeance=value)
    if isinstance(value, str):
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return Campagne(echeance=datetime.strptime(value.strip(), pattern).date())
            except ValueError:
                continue
    raise ConfigError(f"{projet.config_path} : [campagne] echeance vaut « {value} » ; une date "
                      "est attendue, par exemple echeance = 2026-03-31 ou \"31/03/2026\".")
