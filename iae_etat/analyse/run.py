"""The analyse stage: ``core_`` tables → ``out_`` tables under statistical secrecy."""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.couverture import couverture
from iae_etat.analyse.evolution import (
    DICTIONARY_COLUMNS,
    REFERENCE_COLUMNS,
    evolution_parts,
)
from iae_etat.analyse.indicateurs import CATALOGUE, indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.catalogue import Catalogue
from iae_etat.config import Projet
from iae_etat.errors import ConfigError
from iae_etat.etat import previous_indicators
from iae_etat.questionnaire.layout import CONTRACT_NAME as QUESTIONNAIRES

DERIVED = {"taux_equipement_etp_de_abc": ("de_abc", "etp_conventionnes"),
           "taux_equipement_etp_brsa": ("foyers_rsa", "etp_conventionnes"),
           "taux_sortie_dynamique_asp": ("sorties_dynamiques_asp", "sorties_asp"),
           "taux_sortie_dynamique": ("sorties_dynamiques", "sorties"),
           "part_public_salaries": ("salaries_public", "salaries_annee"),
           "part_public_de_abc": ("de_public", "de_abc"),
           "ecart_representativite": ("salaries_public", "salaries_annee", "de_public",
                                      "de_abc")}


# Default need (demandeurs d'emploi ABC, foyers RSA) above which a territory without SIAE is a
# zone blanche; ``[analyse] seuil_zone_blanche`` in iae-etat.toml overrides it.
SEUIL_ZONE_BLANCHE = 100


def seuil_zone_blanche(projet: Projet) -> float:
    """The zone blanche threshold of the project's configuration."""
    value = projet.options.get("analyse", {}).get("seuil_zone_blanche", SEUIL_ZONE_BLANCHE)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{projet.config_path} : [analyse] seuil_zone_blanche doit être un "
                          "nombre positif (demandeurs d'emploi ou foyers).")
    return float(value)


def run_analyse(projet: Projet, millesime: int, catalogue: Catalogue) -> pd.DataFrame:
    """Compute and write ``out_indicateurs``, ``out_couverture`` and ``out_evolution``; returns
    the indicators."""
    territoires = catalogue.read("core_territoires")
    structures = catalogue.read("core_structures")
    besoins = catalogue.read("core_besoins") if catalogue.exists("core_besoins") \
        else pd.DataFrame(columns=["code_commune", "de_abc"])
    asp = catalogue.read("core_asp") if catalogue.exists("core_asp") else None
    reponses = catalogue.read(QUESTIONNAIRES) if catalogue.exists(QUESTIONNAIRES) else None
    table = indicators(territoires, structures, besoins, asp, reponses)
    effectifs = {i.code for i in CATALOGUE if i.effectif}
    published = apply_secret(table, territoires, projet.secret.seuil_effectifs, effectifs,
                             DERIVED)
    catalogue.write("out_indicateurs", published)
    catalogue.write("out_couverture", couverture(published, seuil_zone_blanche(projet)))
    previous = {m: pd.read_parquet(path, columns=REFERENCE_COLUMNS,
                                   read_dictionary=DICTIONARY_COLUMNS)
                for m, path in previous_indicators(projet, millesime)}
    catalogue.write_parts("out_evolution", evolution_parts(published, previous))
    return published

