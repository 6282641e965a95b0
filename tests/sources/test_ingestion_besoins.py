"""The needs sources are declared once (``NEEDS_SOURCES``): the declaration matches the adapters
and the contracts, and the loop reads every declared source."""

from __future__ import annotations

from pathlib import Path

import pytest

from iae_etat.project.config import load_projet
from iae_etat.sources import adapters
from iae_etat.sources.ingestion_besoins import NEEDS_SOURCES, Needs, NeedsSource, ingest_besoins
from iae_etat.sources.stage import IngestResult
from iae_etat.tables.contracts import columns
from iae_etat.territoires import referentiel
from tests.conftest import copy_project

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
NEEDS_TABLES = {"core_besoins", "core_besoins_territoires", "raw_france_travail"}


def test_every_declared_adapter_exists_and_belongs_to_its_source():
    for source in NEEDS_SOURCES:
        for name in source.adapters:
            assert adapters.load_adapter(name).source == source.source, name


def test_every_needs_adapter_is_read_by_a_declared_source():
    """An adapter feeding the needs but in no declaration would never be read."""
    declared = {name for source in NEEDS_SOURCES for name in source.adapters}
    for path in sorted(PIPELINES.glob("*.yaml")):
        adapter = adapters.load_adapter(path.stem)
        if adapter.table in NEEDS_TABLES:
            assert path.stem in declared, f"{path.name} n'est lu par aucune source de besoins"


def test_what_a_source_feeds_is_a_column_of_the_needs_contract():
    contract = set(columns("core_besoins"))
    for source in NEEDS_SOURCES:
        assert set(source.feeds) <= contract, source.source


def test_the_loop_reads_every_declared_source_in_order(monkeypatch, tmp_path):
    """A new source is one more entry: the loop reads its adapters and hands them to its
    harmoniser, which contributes a commune column; a missing source is reported once."""

    seen = []

    def harmoniser(needs: Needs, frames) -> None:
        seen.append(sorted(frames))
        needs.parts.append(needs.territoires[["code_commune"]].assign(nb_qpv=1.0))
        needs.listed.append("nb_qpv")

    extra = NeedsSource("qpv", ("qpv",), ("nb_qpv",), "pas de QPV (essai)", harmoniser)
    monkeypatch.setattr("iae_etat.sources.ingestion_besoins.NEEDS_SOURCES", (extra,))
    projet = load_projet(copy_project(tmp_path))

    written = {}

    class Catalogue:
        def write(self, name, table):
            written[name] = table

    territoires = referentiel.territoires(list(projet.departements))
    territoires = territoires.assign(code_zone_emploi=None, nom_zone_emploi=None, code_clpe=None,
                                     nom_clpe=None)
    ingest_besoins(projet, 2025, Catalogue(), IngestResult(), territoires)
    assert seen == [["qpv"]]
    # the harmoniser's column reached the communes: one QPV per commune, as it said
    assert written["core_besoins"]["nb_qpv"].eq(1).all()
    assert set(written) == {"core_besoins", "core_besoins_territoires"}


@pytest.mark.parametrize("source", NEEDS_SOURCES, ids=lambda s: s.source)
def test_each_source_says_what_is_lost_without_it(source):
    assert source.effect.startswith("pas de"), source.effect
