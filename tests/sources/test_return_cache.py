"""The returns already read are kept by content: a corrected return is the only file read again,
and the tables are those of a cold build, byte for byte."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from iae_etat.common.vocabulary import QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE
from iae_etat.pipeline import build
from iae_etat.project.config import load_projet
from iae_etat.questionnaire.prefill import WorkbookTemplate
from iae_etat.questionnaire.reader import read_return
from iae_etat.sources import stage
from iae_etat.sources.return_cache import ReturnCache
from iae_etat.tables.contracts import load_contract
from iae_etat.tables.files import sha256_file
from iae_etat.territoires import referentiel
from tests.conftest import copy_project

MILLESIME = 2025


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("cache"))


def _ingest(project: Path, monkeypatch) -> list[str]:
    """Run the ingest of ``MILLESIME``; the names of the files it read."""
    read = []

    def counted(path, contract, name, residence=None):
        read.append(name)
        return read_return(path, contract, name, residence)

    monkeypatch.setattr(stage, "read_return", counted)
    build.run(load_projet(project), MILLESIME, commands=("ingest",))
    return read


def _tables(project: Path) -> dict[str, str]:
    folder = project / "data" / "processed" / str(MILLESIME)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.parquet"))}


def _correct_one_return(project: Path) -> str:
    """Rewrite one return with one more salarié, as the SIAE's corrected file would be."""
    contract = load_contract(QUESTIONNAIRES)
    residence = load_contract(QUESTIONNAIRES_RESIDENCE)
    path = sorted((project / "data/raw/questionnaires" / str(MILLESIME)).glob("*.xlsx"))[3]
    retour = read_return(path, contract, path.name, residence)
    answers = {**retour.answers, "salaries_annee": int(retour.answers["salaries_annee"]) + 1}
    territoires = referentiel.territoires(["26"])
    epcis = sorted(set(zip(territoires["code_epci"], territoires["nom_epci"], strict=True)))
    path.write_bytes(WorkbookTemplate(contract, MILLESIME, True, residence, epcis)
                     .fill(answers, retour.residence))
    return path.name


def test_a_corrected_return_is_the_only_file_read_and_the_tables_are_the_cold_ones(
        project, tmp_path, monkeypatch):
    first = _ingest(project, monkeypatch)
    assert len(first) == 47
    assert _ingest(project, monkeypatch) == []           # nothing changed: not even run
    changed = _correct_one_return(project)
    again = _ingest(project, monkeypatch)
    assert [Path(name).name for name in again] == [changed]
    warm = _tables(project)
    cold = copy_project(tmp_path)
    shutil.copy(project / "data/raw/questionnaires" / str(MILLESIME) / changed,
                cold / "data/raw/questionnaires" / str(MILLESIME) / changed)
    assert len(_ingest(cold, monkeypatch)) == 47
    assert _tables(cold) == warm


def test_a_damaged_or_stale_entry_is_read_again_and_a_withdrawn_return_leaves(project,
                                                                               monkeypatch):
    folder = project / "data/cache/retours" / str(MILLESIME)
    assert len(list(folder.iterdir())) == 47
    before = _tables(project)
    withdrawn = sorted((project / "data/raw/questionnaires" / str(MILLESIME))
                       .glob("*.xlsx"))[-1]
    cache = stage.return_cache(load_projet(project), MILLESIME, sha256_file,
                               load_contract(QUESTIONNAIRES),
                               load_contract(QUESTIONNAIRES_RESIDENCE))
    its_entry = f"{cache.key(withdrawn, stage._relative(load_projet(project), withdrawn))}.pickle"
    entries = sorted(p for p in folder.iterdir() if p.name != its_entry)  # of returns kept
    assert len(entries) == 46
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(entries[1].read_bytes()[:20])  # a write cut short
    shutil.move(withdrawn, project / withdrawn.name)
    try:
        read = _ingest(project, monkeypatch)
        assert len(read) == 2                              # the two damaged entries
        assert len(list(folder.iterdir())) == 46           # the withdrawn one is gone
    finally:
        shutil.move(project / withdrawn.name, withdrawn)
    assert len(_ingest(project, monkeypatch)) == 1         # back: read again, kept again
    assert _tables(project) == before


def test_a_file_that_cannot_be_hashed_is_read_without_the_cache(project, tmp_path):
    def refusing(path):
        raise PermissionError(13, "Permission denied", str(path))

    contract = load_contract(QUESTIONNAIRES)
    residence = load_contract(QUESTIONNAIRES_RESIDENCE)
    cache = ReturnCache(tmp_path / "retours", refusing, contract, residence, writable=True)
    path = sorted((project / "data/raw/questionnaires" / str(MILLESIME)).glob("*.xlsx"))[0]
    ((envoi, _),) = stage.read_envois([(path, path.name)], contract, residence, MILLESIME,
                                      None, cache)
    assert envoi.statut == "retenu"
    assert not (tmp_path / "retours").exists()  # nothing kept under a key it could not make


def test_the_source_files_are_read_again_only_when_their_content_changed(project,
                                                                        monkeypatch):
    from iae_etat.sources import reading

    read = []
    real = reading.readers.read_source

    def counted(adapter, path, millesime, name):
        read.append(Path(name).name)
        return real(adapter, path, millesime, name)

    monkeypatch.setattr(reading.readers, "read_source", counted)
    _ingest(project, monkeypatch)
    _correct_one_return(project)  # the ingest runs again; no source file changed
    read.clear()
    _ingest(project, monkeypatch)
    assert read == []
    caf = project / "data/raw/caf" / str(MILLESIME) / "rsa_s_type_com_f.csv"
    original = caf.read_bytes()
    caf.write_bytes(original + b"\r\n")  # the same figures, another content
    try:
        _ingest(project, monkeypatch)
        assert read == [caf.name]
    finally:
        caf.write_bytes(original)
    read.clear()
    _ingest(project, monkeypatch)
    assert read == [caf.name]  # its first content was no longer kept
    assert len(list((project / "data/cache/lectures" / str(MILLESIME)).iterdir())) > 5
