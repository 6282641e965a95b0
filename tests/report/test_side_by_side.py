"""The documents written in a child while the dashboard is written: the same files as one after
the other, and an error of the child stops the report."""

from __future__ import annotations

import os

import pytest

from iae_etat.common.errors import DataError
from iae_etat.project.config import load_projet
from iae_etat.report import stage
from iae_etat.tables.catalogue import Catalogue

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


def _report(project, folder) -> dict[str, bytes]:
    """The files of the report of ``project`` written into ``folder``, by name, in order."""
    folder.mkdir()
    catalogue = Catalogue(project / "data/processed/2025", project)
    paths = stage.run_report(load_projet(project), 2025, catalogue, folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in paths}


def test_side_by_side_or_one_after_the_other_the_same_files(built_demo, tmp_path, monkeypatch):
    rows = Catalogue(built_demo / "data/processed/2025", built_demo).read("out_indicateurs")
    assert len(rows) <= stage.SIDE_BY_SIDE_ROWS  # the demo is written side by side
    side_by_side = _report(built_demo, tmp_path / "cote-a-cote")
    monkeypatch.setattr(stage, "SIDE_BY_SIDE_ROWS", 0)
    one_after_the_other = _report(built_demo, tmp_path / "l-un-apres-l-autre")
    assert list(side_by_side) == list(one_after_the_other)
    assert {stage.REPORT_NAME, stage.ANNEXES_NAME, "tableau-de-bord.xlsx"} <= set(side_by_side)
    for name, content in side_by_side.items():
        assert content == one_after_the_other[name], name


def _broken(*args, **kwargs):
    raise DataError("Gabarit illisible : etat-des-lieux.html.j2, ligne 3.")


def test_an_error_of_the_documents_child_stops_the_report(built_demo, tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "render_documents", _broken)  # the child is forked with it
    with pytest.raises(DataError, match="Gabarit illisible : etat-des-lieux.html.j2, ligne 3"):
        _report(built_demo, tmp_path / "rapport")
