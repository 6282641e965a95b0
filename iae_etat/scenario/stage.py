"""The scenarios stage: the project's what-if files applied to the built indicators, written as
three tables the report reads.

``out_scenarios`` holds one row per file of the scenario folder (``[rapport] scenarios``) with its
title, or the French error that stopped it; ``out_scenarios_hypotheses`` the hypotheses of each
file applied; ``out_scenarios_resultats`` the before/after rows of the publique diffusion, in the
order ``simulate`` gives them (``ordre``).
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.vocabulary import SCENARIOS, SCENARIOS_HYPOTHESES, SCENARIOS_RESULTS
from iae_etat.project.config import Projet
from iae_etat.project.settings import scenario_files
from iae_etat.scenario.run import project_scenarios
from iae_etat.scenario.simulate import COLUMNS, HYPOTHESE_COLUMNS, INPUT_FILTERS
from iae_etat.tables.catalogue import Catalogue

FILE_COLUMNS = ["fichier", "titre", "erreur"]


def run_scenarios(projet: Projet, catalogue: Catalogue) -> None:
    """Apply the project's what-if files and write the three scenario tables."""
    # a scenario is checked against the true values: both diffusions of its few inputs
    inputs = {"out_indicateurs": catalogue.read("out_indicateurs", filters=INPUT_FILTERS),
              "core_territoires": catalogue.read("core_territoires")} \
        if scenario_files(projet) else {}
    fichiers, hypotheses, resultats = scenario_tables(project_scenarios(projet, inputs))
    catalogue.write(SCENARIOS, fichiers)
    catalogue.write(SCENARIOS_HYPOTHESES, hypotheses)
    catalogue.write(SCENARIOS_RESULTS, resultats)


def scenario_tables(applied: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``project_scenarios`` results as the rows of the three tables."""
    fichiers = pd.DataFrame([{"fichier": a["fichier"], "titre": a.get("titre", ""),
                              "erreur": a.get("erreur", "")} for a in applied],
                            columns=FILE_COLUMNS)
    hypotheses = [a["hypotheses_table"].assign(fichier=a["fichier"])
                  for a in applied if "erreur" not in a]
    resultats = [a["table"].assign(fichier=a["fichier"], ordre=range(1, len(a["table"]) + 1))
                 for a in applied if "erreur" not in a]
    return (fichiers,
            _concat(hypotheses, ["fichier", *HYPOTHESE_COLUMNS]),
            _concat(resultats, ["fichier", "ordre", *COLUMNS]))


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def read_scenarios(catalogue: Catalogue) -> list[dict]:
    """The scenario tables read back as ``project_scenarios`` gave them: ``fichier`` and either
    ``erreur`` or ``titre``, ``hypotheses`` (descriptions) and ``table`` (before/after rows)."""
    fichiers = catalogue.read(SCENARIOS).fillna("")
    hypotheses = catalogue.read(SCENARIOS_HYPOTHESES)
    resultats = catalogue.read(SCENARIOS_RESULTS)
    out = []
    for row in fichiers.itertuples(index=False):
        if row.erreur:
            out.append({"fichier": row.fichier, "erreur": row.erreur})
            continue
        own = hypotheses[hypotheses["fichier"] == row.fichier].sort_values("numero")
        table = resultats[resultats["fichier"] == row.fichier].sort_values("ordre")
        out.append({"fichier": row.fichier, "titre": row.titre,
                    "hypotheses": own["description"].tolist(),
                    "table": table[COLUMNS].reset_index(drop=True)})
    return out
