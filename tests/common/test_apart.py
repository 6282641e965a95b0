"""Work in a forked child (a millésime of ``build --all``, the report's documents): its answer
and its errors come back, it can be stopped, it dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from iae_etat.common.apart import Child, in_child
from iae_etat.common.errors import DataError, IaeEtatError, Probleme
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def test_the_result_comes_back_from_another_process():
    assert in_child(os.getpid) != os.getpid()
    assert in_child(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]


def _fail() -> None:
    raise DataError("Données illisibles.", [Probleme(fichier="retour.xlsx", feuille="Effectifs",
                                                     cellule="C7", message="Nombre illisible.",
                                                     regle="questionnaire.nombre_invalide")],
                    conseil="Corrigez le classeur.")


def test_an_error_of_the_child_is_raised_here_with_its_problems():
    with pytest.raises(DataError) as raised:
        in_child(_fail)
    error = raised.value
    assert (error.message, error.conseil, error.exit_code) == (
        "Données illisibles.", "Corrigez le classeur.", 1)
    assert [(p.fichier, p.feuille, p.cellule) for p in error.problemes] == [
        ("retour.xlsx", "Effectifs", "C7")]


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # the child's own pid, as the system's OOM killer


def test_a_child_killed_gives_a_clear_error():
    with pytest.raises(IaeEtatError, match="mémoire insuffisante"):
        in_child(_killed)


def test_a_child_works_while_this_process_goes_on_and_can_be_stopped(tmp_path):
    started = tmp_path / "started"
    child = Child(_wait_for_ever, started)
    deadline = time.monotonic() + 30
    while not started.exists():  # the child runs while this process waits here
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pid = int(started.read_text())
    assert pid != os.getpid()
    child.stop()
    with pytest.raises(ProcessLookupError):  # ended and reaped
        os.kill(pid, 0)


def _wait_for_ever(started) -> None:
    """Say this child's pid in ``started`` (written whole: the parent may read it at once),
    then wait."""
    writing = started.with_name(f".{started.name}")
    writing.write_text(str(os.getpid()))
    writing.replace(started)
    time.sleep(600)


def test_the_same_work_done_here_answers_the_same_way():
    assert Child.here(os.getpid).result() == os.getpid()
    with pytest.raises(DataError, match="Données illisibles"):
        Child.here(_fail).result()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(2) is Linux's")
def test_a_child_dies_with_its_parent(tmp_path):
    started = tmp_path / "started"
    parent = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1])\n"
        "from tests.common.test_apart import _wait_for_ever\n"
        "from iae_etat.common.apart import Child\n"
        "from pathlib import Path\n"
        "Child(_wait_for_ever, Path(sys.argv[2])); time.sleep(600)"),
        str(ROOT), str(started)])
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = int(started.read_text())
    parent.kill()
    parent.wait()
    while _alive(pid):  # an orphan would be reaped by init: gone, not a zombie
        assert time.monotonic() < deadline, "l'enfant survit à son parent"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
