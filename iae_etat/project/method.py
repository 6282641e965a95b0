"""Methods of the analysis, read from the ``[analyse]`` section of ``iae-etat.toml``.

``attribution`` places the offer of a SIAE in the territories: ``implantation`` (default, the
commune of its siège) or ``residence`` (its salariés' EPCI of residence, at the EPCI and
département levels). ``non_reponse`` treats the SIAE that did not answer: ``aucune`` (default,
respondents only) or ``calage`` (respondents reweighted within each kind of SIAE).
``seuil_zone_blanche`` is the need from which a territory without SIAE is a zone blanche.
"""

from __future__ import annotations

from dataclasses import dataclass

from iae_etat.project.config import Projet
from iae_etat.project.declaration import BY_NAME

_KEYS = {k.name: k for k in BY_NAME["analyse"].keys}
ATTRIBUTIONS = _KEYS["attribution"].choices
NON_REPONSES = _KEYS["non_reponse"].choices


@dataclass(frozen=True)
class Methode:
    """How the offer is placed in territories and how non-response is treated."""

    attribution: str = "implantation"
    non_reponse: str = "aucune"


def methode(projet: Projet) -> Methode:
    """The methods of the project (validated at load, defaults when absent)."""
    analyse = projet.settings.analyse
    return Methode(attribution=analyse.attribution, non_reponse=analyse.non_reponse)


# Default need (demandeurs d'emploi ABC, foyers RSA) above which a territory without SIAE is a
# zone blanche; ``[analyse] seuil_zone_blanche`` in iae-etat.toml overrides it.
SEUIL_ZONE_BLANCHE = _KEYS["seuil_zone_blanche"].default


def seuil_zone_blanche(projet: Projet) -> float:
    """The zone blanche threshold of the project's configuration."""
    return float(projet.settings.analyse.seuil_zone_blanche)


# Response rate (percent of the SIAE) under which the synthèse and the dashboard warn that the
# questionnaires' figures describe the SIAE poorly; ``[analyse] taux_reponse_min`` overrides it.
TAUX_REPONSE_MIN = _KEYS["taux_reponse_min"].default


def taux_reponse_min(projet: Projet) -> float:
    """The response rate of the project's configuration under which a banner warns."""
    return float(projet.settings.analyse.taux_reponse_min)
