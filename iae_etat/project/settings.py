"""Settings of the published outputs, read from the ``[rapport]`` section of ``iae-etat.toml``.

``diffusion`` chooses the rows of the dashboard: ``publique`` (default, under statistical
secrecy) or ``restreinte`` (every value, plus the per-structure sheet, for the comité de
pilotage restreint). ``pdf`` asks for ``etat-des-lieux.pdf`` at every build (also
``build --pdf``). ``scenarios`` names the project folder whose what-if files (``*.toml``) the
report summarises in « Pistes pour le plan d'action » (default ``scenarios``).
"""

from __future__ import annotations

from dataclasses import dataclass
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
