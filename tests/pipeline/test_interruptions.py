"""Runs that are interrupted or collide: a held lock, two builds at once, kill -9, a full disk;
the log of a run (split from test_operations so that xdist runs the two modules side by side)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iae_etat.cli import main
from iae_etat.project.lock import project_lock
from tests.conftest import cli
from tests.pipeline.test_operations import ALL, _build, _hashes

pytestmark = pytest.mark.slow  # builds the demo end to end


def test_a_held_lock_gives_exit_75(demo_project):
    with project_lock(demo_project):
        result = cli(["--project-dir", str(demo_project), "build"])
    assert result.returncode == 75
    assert "Une autre exécution d'iae-etat est en cours" in result.stderr


def _start_build(project: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "iae_etat", "--project-dir", str(project),
                             "build", "--force"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_staging(project: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if list((project / "data" / "processed").glob(".2025.en-cours-*")):
            return
        time.sleep(0.005)
    pytest.fail("the build never reached its staging step")


def test_concurrent_build_exits_75_while_the_first_finishes(built_project):
    first = _start_build(built_project)
    _wait_for_staging(built_project, first)
    second = cli(["--project-dir", str(built_project), "build"])
    assert first.wait(timeout=120) == 0
    assert second.returncode == 75


def test_kill_9_mid_build_leaves_previous_outputs_and_the_next_build_works(built_project):
    before = {**_hashes(built_project), "build.json": (built_project / "reports/2025/build.json")
              .read_bytes()}
    process = _start_build(built_project)
    _wait_for_staging(built_project, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    after = {**_hashes(built_project), "build.json": (built_project / "reports/2025/build.json")
             .read_bytes()}
    assert after == before
    assert _build(built_project)["etapes_relancees"] == []  # the killed run changed nothing
    assert _build(built_project, "--force")["etapes_relancees"] == ALL
    leftovers = [p for top in ("data/processed", "reports")
                 for p in (built_project / top).iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_ctrl_c_says_interrompu_and_exits_130(demo_project, monkeypatch, capsys):
    import iae_etat.cli.stages as commands

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # what Ctrl-C raises in the middle of a build

    monkeypatch.setattr(commands, "run", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        main(["--project-dir", str(demo_project), "build"])
    assert exit_info.value.code == 130
    assert "Interrompu." in capsys.readouterr().err


def test_full_disk_gives_an_error_and_publishes_nothing(built_project, monkeypatch, capsys):
    before = {**_hashes(built_project), "build.json": (built_project / "reports/2025/build.json")
              .read_bytes()}
    import pyarrow.parquet as pq

    real_write = pq.ParquetWriter.write_table   # every table is written through it
    calls = {"n": 0}

    def write_until_full(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_until_full)
    with pytest.raises(SystemExit) as exit_info:
        main(["--project-dir", str(built_project), "build", "--force"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Écriture impossible" in err and "les résultats précédents sont intacts" in err
    after = {**_hashes(built_project), "build.json": (built_project / "reports/2025/build.json")
             .read_bytes()}
    assert after == before
    assert not list((built_project / "data/processed").glob(".*"))


def test_log_file_has_json_lines_without_answers(demo_project):
    log = demo_project / "journal.jsonl"
    result = cli(["--project-dir", str(demo_project), "--log-file", str(log), "build"])
    assert result.returncode == 0
    events = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert [e["evenement"] for e in events] == ["debut", *["etape"] * len(ALL), "problemes",
                                                "fin"]
    problemes = events[-2]
    counted = {(r["regle"], r["gravite"]): r["nombre"] for r in problemes["regles"]}
    assert sum(n for (_, g), n in counted.items() if g == "erreur") == problemes["erreurs"] > 0
    assert set(problemes["regles"][0]) == {"regle", "gravite", "nombre"}  # codes, no values
    text = log.read_text("utf-8")
    assert "Partenariat fictif" not in text and "environ" not in text
