"""Incremental builds: a fingerprint of each stage's inputs, kept with the stage's outputs.

The inputs are those the stage declares in ``stages.STAGES`` (raw files, tables through the
fingerprints of the stages that write them, sections of ``iae-etat.toml``, resources, other
project files) plus the package's code. A stage reruns when its fingerprint changed or when one
of its recorded outputs is missing or altered. Only ``hashlib`` and the standard library are
used here, so an up-to-date check answers without loading pandas.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from iae_etat.common import resources
from iae_etat.common.resources import code_fingerprint
from iae_etat.pipeline import stages
from iae_etat.pipeline.stages import Stage, project_files
from iae_etat.project.config import Projet
from iae_etat.tables.files import HashCache, refusal, sha256_file

STATE_NAME = "etat.json"


def raw_files(projet: Projet, millesime: int) -> list[Path]:
    """Every raw file a stage reads under ``data/raw/<source>/<millésime>/``, sorted."""
    sources = [s for stage in stages.STAGES for s in stage.raw]
    files: list[Path] = []
    for source in dict.fromkeys(sources):
        folder = projet.raw_dir(source, millesime)
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*")
                            if not p.is_dir() and refusal(p, projet.dir) is None)
    return files


def fingerprint(stage: Stage, upstream: list[str], projet: Projet, millesime: int,
                cache: HashCache) -> str:
    """The fingerprint of ``stage``: its declared inputs, chained to the fingerprints of the
    stages that write the tables it reads (``upstream``)."""
    digest = hashlib.sha256(f"{stage.name}|{'|'.join(upstream)}|{code_fingerprint()}".encode())
    for section in stage.settings:
        value = json.dumps(dict(projet.section(section)), ensure_ascii=False, sort_keys=True,
                           default=str)
        digest.update(f"[{section}]{value}".encode())
    for kind in stage.resources:
        for folder in resources.search_path(kind, projet.dir):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                digest.update(f"{kind}/{path.relative_to(folder).as_posix()}".encode())
                digest.update(cache.hash(path).encode())
    for path in project_files(stage, projet, millesime):
        digest.update(path.relative_to(projet.dir).as_posix().encode())
        digest.update(cache.hash(path).encode())
    if stage.earlier_builds:  # the evolution compares with every earlier millésime built
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
