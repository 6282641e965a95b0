"""The demo generator: same seed, same bytes; the committed demo is its output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from iae_etat.demo.generator import generate_demo
from tests.conftest import ROOT


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("demo")
    generate_demo(target)
    return target


def test_same_seed_gives_same_bytes(generated, tmp_path):
    generate_demo(tmp_path)
    assert _hashes(tmp_path / "data" / "raw") == _hashes(generated / "data" / "raw")


def test_another_seed_gives_other_structures(generated, tmp_path):
    generate_demo(tmp_path, seed=7, millesimes=(2025,))
    ours = (tmp_path / "data/raw/structures/2025/liste_siae.csv").read_bytes()
    assert ours != (generated / "data/raw/structures/2025/liste_siae.csv").read_bytes()


def test_committed_demo_is_the_generator_output(generated):
    # data/raw/geo/ holds outlines derived by scripts/build_contours.py, not generated
    committed = {k: v for k, v in _hashes(ROOT / "data" / "raw").items()
                 if not k.startswith("geo/")}
    assert committed == _hashes(generated / "data" / "raw")


def test_demo_size_and_content(generated):
    raw = generated / "data" / "raw"
    assert sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) < 5 * 1024 * 1024
    header = (raw / "structures/2025/liste_siae.csv").read_text("utf-8").splitlines()
    assert header[0].startswith("MESURE;CODE_DEPARTEMENT;LIBELLE_DPT;CODE_POSTAL;COMMUNE")
    assert 40 <= len(header) - 1 <= 60
    kinds = {line.split(";")[0] for line in header[1:]}
    assert kinds == {"ACI", "AI", "EI", "ETTI", "EITI"}
    config = (generated / "iae-etat.toml").read_text("utf-8")
    assert "donnees_fictives = true" in config
