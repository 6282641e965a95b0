"""Operations: incremental rebuilds, corrupted outputs, determinism, build --all (the
interrupted runs are in test_interruptions)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import cli

pytestmark = pytest.mark.slow  # builds the demo end to end

ALL = ["ingest", "analyse", "scenarios", "controles", "report"]  # the stages, in build order
INTERNAL = ("build.json", "etat.json")  # carry a date, absolute paths and file times


def _hashes(project: Path) -> dict[str, str]:
    out = {}
    for top in ("data/processed", "reports"):
        for p in sorted((project / top).rglob("*")):
            hidden = any(part.startswith(".") for part in p.relative_to(project).parts)
            if p.is_file() and p.name not in INTERNAL and not hidden:
                out[p.relative_to(project).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _build(project: Path, *extra: str) -> dict:
    result = cli(["--project-dir", str(project), "--json", "build", *extra])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_noop_rebuild_reruns_nothing_and_changes_nothing(demo_project):
    assert _build(demo_project)["etapes_relancees"] == ALL
    before = {**_hashes(demo_project), "build.json": (demo_project / "reports/2025/build.json")
              .read_text()}
    again = _build(demo_project)
    assert again["etapes_relancees"] == []
    assert again["questionnaires_retenus"] > 0  # the summary of the last run is still given
    after = {**_hashes(demo_project), "build.json": (demo_project / "reports/2025/build.json")
             .read_text()}
    assert after == before
    assert _build(demo_project, "--force")["etapes_relancees"] == ALL


def test_only_what_changed_is_rebuilt(built_project):
    (built_project / "templates").mkdir()
    (built_project / "templates" / "styles.css").write_text("body { color: black; }\n", "utf-8")
    assert _build(built_project)["etapes_relancees"] == ["report"]
    questionnaire = next((built_project / "data/raw/questionnaires/2025").glob("*.xlsx"))
    questionnaire.rename(questionnaire.with_name("renomme.xlsx"))
    assert _build(built_project)["etapes_relancees"] == ALL


def test_a_new_earlier_build_reruns_the_evolution(built_project):
    result = cli(["--project-dir", str(built_project), "--millesime", "2024", "build"])
    assert result.returncode == 0
    assert _build(built_project)["etapes_relancees"] == ALL[1:]


def test_a_corrupted_table_is_detected_and_rebuilt(built_project):
    table = built_project / "data/processed/2025/core_besoins.parquet"
    good = table.read_bytes()
    table.write_bytes(b"PAR1 this is not parquet")
    status = json.loads(cli(["--project-dir", str(built_project), "--json", "status"]).stdout)
    assert status["millesimes"][1]["etapes_a_refaire"] == ALL
    assert _build(built_project)["etapes_relancees"] == ALL
    assert table.read_bytes() == good


def test_two_builds_give_byte_identical_outputs(tmp_path):
    from tests.conftest import copy_project

    first, second = tmp_path / "a", tmp_path / "b"
    for project in (first, second):
        project.mkdir()
        copy_project(project)
        _build(project)
    assert _hashes(first) == _hashes(second)


def test_build_all_builds_every_millesime_oldest_first(demo_project):
    result = cli(["--project-dir", str(demo_project), "--json", "build", "--all"])
    assert result.returncode == 0, result.stderr
    summaries = json.loads(result.stdout)["millesimes"]
    assert [s["millesime"] for s in summaries] == [2024, 2025]
    status = json.loads(cli(["--project-dir", str(demo_project), "--json", "status"]).stdout)
    assert [m["etapes_a_refaire"] for m in status["millesimes"]] == [[], []]
    assert status["millesimes"][1]["siae_sans_questionnaire"] >= 0
