"""A millésime built in a forked child (``build --all``): its answer and its errors come back."""

from __future__ import annotations

import os
import signal

import pytest

from iae_etat.common.errors import DataError, IaeEtatError, Probleme
from iae_etat.pipeline.apart import in_child

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
