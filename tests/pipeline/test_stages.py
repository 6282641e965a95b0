"""The registry of stages: the graph it declares, and the build driven by it."""

from __future__ import annotations

import shutil
from dataclasses import replace

from iae_etat.pipeline import incremental, stages
from iae_etat.pipeline.build import stale_stages
from iae_etat.pipeline.stages import BY_NAME, STAGES
from iae_etat.project.config import load_projet
from iae_etat.tables.contracts import all_contracts
from iae_etat.tables.files import HashCache


def test_the_stages_run_in_an_order_where_every_table_is_written_before_it_is_read():
    assert [s.name for s in STAGES] == ["ingest", "analyse", "scenarios", "controles", "report"]
    seen: set[str] = set()
    for stage in STAGES:
        assert set(stage.tables) <= seen, stage.name  # no required table left unwritten
        seen |= set(stage.outputs)
    contracts = {c.name for c in all_contracts()}
    assert stages.declared_tables() <= contracts


def test_the_graph_is_read_from_the_declared_tables():
    assert stages.upstream(BY_NAME["scenarios"]) == ["ingest", "analyse"]
    assert stages.upstream(BY_NAME["report"]) == ["ingest", "analyse", "scenarios"]
    # the controls read no table of the scenarios: a new scenario file leaves them alone
    assert stages.downstream("scenarios") == ["report"]
    assert stages.downstream("analyse") == ["scenarios", "controles", "report"]
    assert stages.for_commands(("report",)) == ["controles", "report"]
    assert stages.problem_tables() == ("core_anomalies", "out_controles")


def test_adding_an_input_to_a_stage_changes_its_fingerprint(tmp_path):
    from tests.conftest import copy_project

    copy_project(tmp_path)
    projet = load_projet(tmp_path)
    report = BY_NAME["report"]
    (tmp_path / "notes").mkdir()
    note = tmp_path / "notes" / "a.md"
    note.write_text("un\n", "utf-8")
    with_note = replace(report, files=(*report.files, "notes/*.md"))
    with_section = replace(report, settings=(*report.settings, "campagne"))

    def fingerprint(stage) -> str:
        return incremental.fingerprint(stage, [], projet, 2025, HashCache())

    plain = fingerprint(report)
    assert fingerprint(with_note) != plain
    assert fingerprint(with_section) != plain
    note.write_text("deux\n", "utf-8")  # a file is an input once, and only once, declared
    assert fingerprint(report) == plain
    assert fingerprint(with_note) != fingerprint(replace(report, files=(*report.files,
                                                                          "notes/*.txt")))
    config = tmp_path / "iae-etat.toml"
    text = config.read_text("utf-8")
    assert "echeance = 2026-03-31" in text
    config.write_text(text.replace("echeance = 2026-03-31", "echeance = 2026-04-30"), "utf-8")
    projet = load_projet(tmp_path)
    assert fingerprint(report) == plain  # [campagne] is not an input of the report
    assert fingerprint(with_section) != plain


def test_the_build_plans_from_the_registry(built_demo, tmp_path, monkeypatch):
    project = tmp_path / "projet"
    shutil.copytree(built_demo, project)
    projet = load_projet(project)
    assert stale_stages(projet, 2025) == []
    (project / "notes").mkdir()
    (project / "notes" / "a.md").write_text("une note\n", "utf-8")
    assert stale_stages(projet, 2025) == []  # not an input of any stage
    controls = BY_NAME["controles"]
    declared = tuple(replace(s, files=(*s.files, "notes/*.md")) if s is controls else s
                     for s in STAGES)
    monkeypatch.setattr(stages, "STAGES", declared)
    monkeypatch.setattr(stages, "BY_NAME", {s.name: s for s in declared})
    # the controls rerun; the report does not read their outputs, so it stays up to date
    assert stale_stages(projet, 2025) == ["controles"]


class _Recording:
    """The validated settings of ``iae-etat.toml``, noting every section read."""

    def __init__(self, settings, seen: set[str]) -> None:
        self._settings = settings
        self._seen = seen

    def __getattr__(self, name: str):
        self._seen.add(name)
        return getattr(self._settings, name)

    def section(self, name: str):
        self._seen.add(name)
        return self._settings.section(name)


def test_every_section_a_stage_reads_is_declared(built_demo, tmp_path):
    """Run each stage on the demo's tables and note the sections of iae-etat.toml it reads:
    an undeclared one would not rerun the stage when it changes."""
    from iae_etat.pipeline.stages import Run
    from iae_etat.tables.catalogue import Catalogue

    project = tmp_path / "projet"
    shutil.copytree(built_demo, project)
    projet = load_projet(project)
    catalogue = Catalogue(project / "data/processed/2025", project, notice=projet.notice)
    for stage in STAGES:
        seen: set[str] = set()
        recording = replace(projet, settings=_Recording(projet.settings, seen))
        reports = tmp_path / "reports" / stage.name
        stage.runner(Run(recording, 2025, catalogue, reports, HashCache()))
        # [projet] and [secret_statistique] are read when the project is loaded
        assert seen - {"projet", "secret_statistique"} <= set(stage.settings), stage.name
