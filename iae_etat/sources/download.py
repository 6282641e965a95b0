"""Fetching the public files of the sources (``iae-etat telecharger``).

An adapter says under ``telechargement`` where its public file is: the portal, the dataset, the
export address (``{departement}`` replaced by each département of the project) and the name of
the file to write in ``data/raw/<source>/<millésime>/``. A download goes to ``<name>.part``,
resumed with an HTTP range when interrupted, then renamed; its address, date and SHA-256 go to
the folder's manifest (``.telechargements.json``), which the ingest copies into ``core_sources``.
A file the user placed (absent from the manifest, or changed since) is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from iae_etat.common import resources
from iae_etat.common.errors import IaeEtatError
from iae_etat.project.config import Projet
from iae_etat.sources import adapters
from iae_etat.sources.reading import MANIFEST, downloaded

CHUNK = 64 * 1024


class DownloadError(IaeEtatError):
    """A public file could not be fetched (network, server): exit 1, nothing overwritten."""


@dataclass(frozen=True)
class Fetch:
    """One public file to fetch."""

    adaptateur: str
    titre: str
    url: str
    cible: Path


def portal(adapter: adapters.Adapter) -> dict[str, str]:
    """Where the adapter's public file is, for ``iae-etat sources`` (empty when unknown)."""
    spec = adapter.telechargement
    if not spec:
        return {}
    return {"portail": spec["portail"], "jeu": spec.get("jeu", ""),
            "page": spec["portail"] + spec.get("page", ""),
            "fichier": spec["fichier"].replace("{departement}", "<département>")}


def plan(projet: Projet, millesime: int, base: str | None = None) -> list[Fetch]:
    """The files to fetch for the project's départements; ``base`` replaces the portals'
    address (a mirror, or the test server)."""
    out = []
    for filename in resources.names("pipelines", projet.dir, ".yaml"):
        adapter = adapters.load_adapter(filename.removesuffix(".yaml"), projet.dir)
        spec = adapter.telechargement
        if not spec.get("export"):
            continue
        root = (base or spec["portail"]).rstrip("/")
        folder = projet.raw_dir(adapter.source, millesime)
        for code in projet.departements:
            values = {"departement": code, "millesime": millesime}
            out.append(Fetch(adapter.name, adapter.titre,
                             root + spec["export"].strip().format(**values),
                             folder / spec["fichier"].format(**values)))
    return out


def fetch(item: Fetch, timeout: float,
          progress: Callable[[int, int | None], None] | None = None) -> str:
    """Fetch one file; returns ``telecharge``, ``deja`` (fetched before, unchanged) or
    ``conserve`` (a file the user placed, left as it is)."""
    target = item.cible
    if target.exists():
        known = downloaded(target)
        return "deja" if known.get("sha256") == _sha256(target) else "conserve"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    start = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(item.url, headers={"User-Agent": "iae-etat"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            resumed = start and response.status == 206
            done = start if resumed else 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length else None
            with partial.open("ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{item.titre} : le portail a répondu {exc.code} pour {item.url}.",
                            "Vérifiez l'adresse dans pipelines/" + item.adaptateur + ".yaml "
                            "(section telechargement) ou téléchargez le fichier à la main "
                            "(iae-etat sources dit où).") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{item.titre} : téléchargement impossible ({reason}). Pas de connexion à "
            "Internet, ou le portail ne répond pas.",
            "Relancez la commande une fois connecté : le téléchargement reprend où il s'est "
            "arrêté. Sinon, déposez le fichier à la main (iae-etat sources dit où).") from None
    partial.replace(target)
    _remember(target, item.url)
    return "telecharge"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remember(path: Path, url: str) -> None:
    """Add the file to its folder's manifest: address, date (UTC) and SHA-256."""
    manifest = path.parent / MANIFEST
    entries = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
    entries[path.name] = {"url": url, "sha256": _sha256(path), "octets": path.stat().st_size,
                          "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    manifest.write_text(json.dumps(entries, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        "utf-8")
