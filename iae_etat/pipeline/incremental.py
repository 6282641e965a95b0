"""Incremental builds: a fingerprint of each stage's inputs, kept with the stage's outputs.

A stage reruns when its fingerprint changed (raw files, configuration, contracts, adapters,
templates, code) or when one of its recorded outputs is missing or altered. Only ``hashlib``
and the standard library are used here, so an up-to-date check answers without loading pandas.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from iae_etat import __version__
from iae_etat.common import resources
from iae_etat.project.config import CONFIG_NAME, SOURCES, Projet
from iae_etat.project.settings import scenario_files
from iae_etat.report import commentaires
from iae_etat.tables.files import HashCache, sha256_file

STATE_NAME = "etat.json"
STAGE_RESOURCES = {"ingest": ("pipelines", "schemas"), "analyse": ("schemas",),
                   "report": ("templates", "schemas")}
_PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version and the source of the package: a change of code reruns every stage."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def raw_files(projet: Projet, millesime: int) -> list[Path]:
    """Every file under ``data/raw/<source>/<millésime>/``, sorted."""
    files: list[Path] = []
    for source in SOURCES:
        folder = projet.raw_dir(source, millesime)
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.is_file())
    return files


def fingerprint(stage: str, previous: str, projet: Projet, millesime: int,
                cache: HashCache) -> str:
    """The fingerprint of ``stage``: its own inputs chained to the previous stage's."""
    digest = hashlib.sha256(f"{stage}|{previous}|{code_fingerprint()}".encode())
    digest.update(cache.hash(projet.dir / CONFIG_NAME).encode())
    for kind in STAGE_RESOURCES[stage]:
        for folder in resources.search_path(kind, projet.dir):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                digest.update(f"{kind}/{path.relative_to(folder).as_posix()}".encode())
                digest.update(cache.hash(path).encode())
    if stage == "ingest":
        for path in raw_files(projet, millesime):
            digest.update(path.relative_to(projet.dir).as_posix().encode())
            digest.update(cache.hash(path).encode())
    if stage == "report":  # the maps' outlines may sit directly in data/raw/geo/
        geo = projet.dir / "data" / "raw" / "geo"
        outlines = sorted(geo.glob("*.geojson")) if geo.is_dir() else []
        # and the what-if files it sums up, and the committee's commentary files
        for path in [*outlines, *scenario_files(projet),
                     *commentaires.files(projet.dir, millesime)]:
            digest.update(path.relative_to(projet.dir).as_posix().encode())
            digest.update(cache.hash(path).encode())
    if stage == "analyse":  # the evolution compares with every earlier millésime built
        for earlier, path in projet.built_before(millesime):
            digest.update(f"{earlier}:{sha256_file(path)}".encode())
    return digest.hexdigest()




def load_state(processed: Path) -> dict:
    """The recorded state of a processed folder (empty when absent or unreadable)."""
    try:
        return json.loads((processed / STATE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def outputs_intact(root: Path, recorded: dict[str, str], cache: HashCache) -> bool:
    """True when every recorded output exists with the recorded hash."""
    for name, digest in recorded.items():
        path = root / name
        if not path.is_file() or cache.hash(path) != digest:
            return False
    return True


def output_hashes(root: Path, names: list[str]) -> dict[str, str]:
    """Hashes of ``names`` (relative to ``root``)."""
    return {name: sha256_file(root / name) for name in sorted(names)}
