"""The scenarios stage: the project's what-if files written as tables and read back whole."""

from __future__ import annotations

import pandas as pd

from iae_etat.project.config import load_projet
from iae_etat.report.plan_action import scenario_summaries
from iae_etat.scenario.run import project_scenarios
from iae_etat.scenario.simulate import COLUMNS, HYPOTHESE_COLUMNS, INPUT_FILTERS
from iae_etat.scenario.stage import read_scenarios, run_scenarios, scenario_tables
from iae_etat.tables.catalogue import Catalogue

PROCESSED = "data/processed/2025"


def test_tables_of_an_applied_file_and_of_a_broken_one():
    table = pd.DataFrame({"niveau": ["epci", "commune"], "code": ["1", "2"]}).reindex(
        columns=COLUMNS)
    hypotheses = pd.DataFrame({"numero": [1], "description": ["Ajout de 2 ETP"]}).reindex(
        columns=HYPOTHESE_COLUMNS)
    fichiers, hyp, res = scenario_tables([
        {"fichier": "scenarios/a.toml", "titre": "A", "hypotheses": ["Ajout de 2 ETP"],
         "hypotheses_table": hypotheses, "table": table},
        {"fichier": "scenarios/b.toml", "erreur": "scenarios/b.toml : illisible."}])
    assert fichiers.to_dict("records") == [
        {"fichier": "scenarios/a.toml", "titre": "A", "erreur": ""},
        {"fichier": "scenarios/b.toml", "titre": "", "erreur": "scenarios/b.toml : illisible."}]
    assert hyp[["fichier", "numero"]].values.tolist() == [["scenarios/a.toml", 1]]
    # the rows keep the order simulate gave them: epci before commune
    assert res[["fichier", "ordre", "niveau"]].values.tolist() == [
        ["scenarios/a.toml", 1, "epci"], ["scenarios/a.toml", 2, "commune"]]


def test_the_report_reads_what_the_scenarios_stage_computed(built_demo, tmp_path):
    built = Catalogue(built_demo / PROCESSED, built_demo)
    tables = {"out_indicateurs": built.read("out_indicateurs", filters=INPUT_FILTERS),
              "core_territoires": built.read("core_territoires")}
    projet = load_projet(built_demo)
    computed = scenario_summaries(project_scenarios(projet, tables))
    assert computed and computed[0]["lignes"]  # the demo's example has rows to compare
    assert scenario_summaries(read_scenarios(built)) == computed
    # written again into an empty folder, from the same inputs: the same summaries
    scratch = Catalogue(tmp_path, built_demo)
    for name in ("out_indicateurs", "core_territoires"):
        (tmp_path / f"{name}.parquet").write_bytes(built.path(name).read_bytes())
    run_scenarios(projet, scratch)
    assert scenario_summaries(read_scenarios(scratch)) == computed
