"""Optional themes of the état des lieux, from the questionnaires (pure): personnel permanent,
sorties by category and valorisation (coûts évités, unit costs from the configuration only).

Personnel figures count the SIAE that answered with their salariés known (as
``salaries_annee``): a cell is not available when one of them left the field empty. Sorties by
category count the SIAE that gave their sorties and every category (as ``sorties_dynamiques``).
"""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.financement import commune_sums, level_sums, long_rows, territory_links
from iae_etat.common.vocabulary import EXIT_CATEGORIES
from iae_etat.project.config import Projet

PERSONNEL = ("etp_encadrement_technique", "etp_accompagnement", "etp_direction", "benevoles")



def couts_valorisation(projet: Projet) -> list[dict]:
    """The unit costs of ``[valorisation] couts`` (``libelle, par, montant, source``), validated
    at load (``project/declaration.py``); empty when none is configured."""
    return [{"libelle": c["libelle"], "par": c["par"], "montant": float(c["montant"]),
             "source": c["source"]} for c in projet.settings.valorisation.couts]


def _answers(structures: pd.DataFrame, reponses: pd.DataFrame) -> pd.DataFrame:
    """The SIAE that answered, located, with their salariés and answers."""
    columns = ["sorties", "sorties_retraits", *EXIT_CATEGORIES, *PERSONNEL]
    answers = reponses.reindex(columns=["siret", "type_siae", *columns])
    data = structures.loc[structures["a_repondu"].astype(bool)
                          & structures["code_commune"].notna(),
                          ["siret", "type_siae", "code_commune", "salaries_annee"]]
    data = data.merge(answers, on=["siret", "type_siae"], how="left", validate="1:1")
    for column in ["salaries_annee", *columns]:
        data[column] = data[column].astype(float)
    return data.reset_index(drop=True)


def theme_indicators(territoires: pd.DataFrame, structures: pd.DataFrame,
                     reponses: pd.DataFrame, couts: list[dict]) -> pd.DataFrame:
    """Personnel permanent, sorties by category and, when ``couts`` are configured, coûts
    évités for every level above the commune, kind and ``ensemble`` (rows of the indicator
    table)."""
    data = _answers(structures, reponses)
    staff = commune_sums(structures, data[data["salaries_annee"].notna()],
                         [*PERSONNEL, "salaries_annee"])
    exits = commune_sums(structures, data.dropna(subset=["sorties", "sorties_retraits",
                                                         *EXIT_CATEGORIES]),
                         list(EXIT_CATEGORIES))
    links = territory_links(territoires)
    personnel, top = level_sums(links, staff, [*PERSONNEL, "salaries_annee"])
    etp = personnel["etp_encadrement_technique"]
    derived = pd.DataFrame({"salaries_par_etp_encadrement":
                            personnel["salaries_annee"] / etp.where(etp > 0)})
    categories, _ = level_sums(links, exits, list(EXIT_CATEGORIES))
    wide = pd.concat([personnel[list(PERSONNEL)], derived, categories], axis=1)
    if couts:
        bases = {"sorties_durables": categories["sorties_durables"],
                 "sorties_dynamiques": categories.sum(axis=1, min_count=3)}
        wide["couts_evites"] = sum(bases[c["par"]] * c["montant"] for c in couts)
    return long_rows(wide, top.reindex(columns=wide.columns), links)
