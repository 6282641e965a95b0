"""Settings of the published outputs, read from the ``[rapport]`` section of ``iae-etat.toml``.

``diffusion`` chooses the rows of the dashboard: ``publique`` (default, under statistical
secrecy) or ``restreinte`` (every value, plus the per-structure sheet, for the comité de
pilotage restreint). ``pdf`` asks for ``etat-des-lieux.pdf`` at every build (also
``build --pdf``).
"""

from __future__ import annotations

from dataclasses import dataclass

from iae_etat.config import Projet
from iae_etat.errors import ConfigError

DIFFUSIONS = ("publique", "restreinte")


@dataclass(frozen=True)
class Reglages:
    """What the report stage writes, and at which level of diffusion."""

    diffusion: str = "publique"
    pdf: bool = False


def reglages(projet: Projet) -> Reglages:
    """The validated ``[rapport]`` section (defaults when absent)."""
    section = projet.options.get("rapport", {})
    path = projet.config_path
    if not isinstance(section, dict):
        raise ConfigError(f"{path} : [rapport] doit être une section.")
    diffusion = section.get("diffusion", "publique")
    if diffusion not in DIFFUSIONS:
        raise ConfigError(f"{path} : [rapport] diffusion vaut « {diffusion} » ; valeurs "
                          "possibles : « publique » ou « restreinte ».")
    pdf = section.get("pdf", False)
    if not isinstance(pdf, bool):
        raise ConfigError(f"{path} : [rapport] pdf doit valoir true ou false.")
    return Reglages(diffusion=diffusion, pdf=pdf)
