"""Methods of the analysis, read from the ``[analyse]`` section of ``iae-etat.toml``.

``attribution`` places the offer of a SIAE in the territories: ``implantation`` (default, the
commune of its siège) or ``residence`` (its salariés' EPCI of residence, at the EPCI and
département levels). ``non_reponse`` treats the SIAE that did not answer: ``aucune`` (default,
respondents only) or ``calage`` (respondents reweighted within each kind of SIAE).
``seuil_zone_blanche`` is the need from which a territory without SIAE is a zone blanche.
"""

from __future__ import annotations

from dataclasses import dataclass

from iae_etat.common.errors import ConfigError
from iae_etat.project.config import Projet

ATTRIBUTIONS = ("implantation", "residence")
NON_REPONSES = ("aucune", "calage")


@dataclass(frozen=True)
class Methode:
    """How the offer is placed in territories and how non-response is treated."""

    attribution: str = "implantation"
    non_reponse: str = "aucune"


def methode(projet: Projet) -> Methode:
    """The validated methods of the project (defaults when absent)."""
    section = projet.section("analyse")
    path = projet.config_path
    values = {}
    for key, allowed in (("attribution", ATTRIBUTIONS), ("non_reponse", NON_REPONSES)):
        value = section.get(key, allowed[0])
        if value not in allowed:
            listed = " ou ".join(f"« {a} »" for a in allowed)
            raise ConfigError(f"{path} : [analyse] {key} vaut « {value} » ; valeurs possibles : "
                              f"{listed}.")
        values[key] = value
    return Methode(**values)


# Default need (demandeurs d'emploi ABC, foyers RSA) above which a territory without SIAE is a
# zone blanche; ``[analyse] seuil_zone_blanche`` in iae-etat.toml overrides it.
SEUIL_ZONE_BLANCHE = 100


# Response rate (percent of the SIAE) under which the synthèse and the dashboard warn that the
# questionnaires' figures describe the SIAE poorly; ``[analyse] taux_reponse_min`` overrides it.
TAUX_REPONSE_MIN = 60


def taux_reponse_min(projet: Projet) -> float:
    """The response rate of the project's configuration under which a banner warns."""
    value = projet.section("analyse").get("taux_reponse_min", TAUX_REPONSE_MIN)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ConfigError(f"{projet.config_path} : [analyse] taux_reponse_min doit être un "
                          "pourcentage entre 0 et 100.")
    return float(value)


def seuil_zone_blanche(projet: Projet) -> float:
    """The zone blanche threshold of the project's configuration."""
    value = projet.section("analyse").get("seuil_zone_blanche", SEUIL_ZONE_BLANCHE)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{projet.config_path} : [analyse] seuil_zone_blanche doit être un "
                          "nombre positif (demandeurs d'emploi ou foyers).")
    return float(value)
