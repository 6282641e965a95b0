"""One locator for the declarative resources: ``pipelines/``, ``schemas/``, ``templates/``.

A project directory may override any file by putting one of the same name in its own folder of
that kind; otherwise the copy shipped in the wheel (``iae_etat/_ressources/``) is used, or, in a
source checkout, the folder at the top of the repository.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from iae_etat import __version__

KINDS = ("pipelines", "schemas", "templates")
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def packaged_dir(kind: str) -> Path:
    """The folder holding the shipped resources of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind: {kind}")
    shipped = _PACKAGE_DIR / "_ressources" / kind
    if shipped.is_dir():
        return shipped
    return _PACKAGE_DIR.parent / kind


def search_path(kind: str, project_dir: Path | None) -> list[Path]:
    """Folders searched for ``kind``, the project's first."""
    folders = []
    if project_dir is not None and (project_dir / kind).is_dir():
        folders.append(project_dir / kind)
    shipped = packaged_dir(kind)
    if shipped not in [f.resolve() for f in folders]:
        folders.append(shipped)
    return folders


def locate(kind: str, name: str, project_dir: Path | None) -> Path:
    """Path of resource ``name`` of ``kind``: the project's copy when it has one."""
    for folder in search_path(kind, project_dir):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{kind}/{name}")


def names(kind: str, project_dir: Path | None, suffix: str) -> list[str]:
    """Every resource name of ``kind`` ending with ``suffix``, project and package merged."""
    found: set[str] = set()
    for folder in search_path(kind, project_dir):
        found.update(p.name for p in folder.glob(f"*{suffix}") if p.is_file())
    return sorted(found)


def fingerprint(kinds: tuple[str, ...], project_dir: Path | None) -> str:
    """The code and the resources of ``kinds`` a project reads (its own copies, then the
    shipped ones): the salt of results kept between builds that read them."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for kind in kinds:
        for folder in search_path(kind, project_dir):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                digest.update(f"{kind}/{path.relative_to(folder).as_posix()}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The version and the source of the package: a change of code reruns every stage and
    rereads every return kept by ``sources.return_cache``."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
