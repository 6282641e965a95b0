"""Reading the raw files of an adapter, with provenance and the report of missing sources.

``result`` is the ingest stage's result (``problemes``, ``fichiers``, ``sources_absentes``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, GRAVITE_INFO, Probleme
from iae_etat.project.config import Projet
from iae_etat.sources import adapters, fluxiae, readers
from iae_etat.tables.files import printable, refusal

SOURCES_COLUMNS = ["source", "fichier", "sha256", "octets", "adaptateur", "titre", "licence",
                   "table", "vintage", "arrondi", "ruptures", "url", "telecharge_le"]
# Written by ``iae-etat telecharger`` beside the files it fetched: file name → url, date, hash.
MANIFEST = ".telechargements.json"


def relative(projet: Projet, path: Path) -> str:
    """The name of a raw file in records: relative to the project, control characters
    escaped (a name may carry a newline or a terminal escape)."""
    return printable(path.relative_to(projet.dir).as_posix())


def admitted(projet: Projet, result, paths) -> list[Path]:
    """The regular files among ``paths``, sorted by name; the others are recorded.

    Hidden files (name starting with a dot: lock files, copies from another system) are
    listed and left out; symbolic links leading outside the project, broken links, pipes,
    devices and sockets are refused with an error (never opened).
    """
    kept = []
    for path in sorted(set(paths), key=lambda p: p.name):
        if path.is_dir() and not path.is_symlink():
            continue
        name = relative(projet, path)
        if path.name.startswith("."):
            result.problemes.append(Probleme(
                fichier=name, regle="fichier.cache", gravite=GRAVITE_AVERTISSEMENT,
                message=f"Fichier caché non lu : « {printable(path.name)} » (son nom commence "
                        "par un point).",
                conseil="Renommez-le sans point initial s'il doit être lu, sinon retirez-le."))
            continue
        why = refusal(path, projet.dir)
        if why is not None:
            result.problemes.append(Probleme(
                fichier=name, regle="fichier.non_ordinaire", message=f"Fichier refusé : {why}.",
                conseil="Déposez dans data/raw/ une copie du fichier lui-même."))
            continue
        kept.append(path)
    return kept


def record(result, projet: Projet, source: str, path: Path, adapter: str, titre: str,
           licence: str, table: str, vintage: str, arrondi: str = "",
           ruptures: str = "") -> None:
    """Record a file read for the provenance table ``core_sources`` (with where and when it
    was downloaded, when ``iae-etat telecharger`` fetched it and it is unchanged since)."""
    digest = result.hasher(path)
    fetched = downloaded(path)
    if fetched.get("sha256") != digest:
        fetched = {}
    result.fichiers.append({"source": source, "fichier": relative(projet, path),
                            "sha256": digest, "octets": path.stat().st_size,
                            "adaptateur": adapter, "titre": titre, "licence": licence,
                            "table": table, "vintage": vintage, "arrondi": arrondi,
                            "ruptures": ruptures, "url": fetched.get("url", ""),
                            "telecharge_le": fetched.get("date", "")})


def downloaded(path: Path) -> dict:
    """What the download manifest of the file's folder says of it (empty when nothing)."""
    manifest = path.parent / MANIFEST
    if not manifest.is_file():
        return {}
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    entry = entries.get(path.name) if isinstance(entries, dict) else None
    return entry if isinstance(entry, dict) else {}


def report_missing(result, projet: Projet, source: str, millesime: int, effect: str) -> None:
    """A source without any file: a warning saying what it leaves out."""
    result.sources_absentes.append(source)
    result.problemes.append(Probleme(
        fichier=relative(projet, projet.raw_dir(source, millesime)), regle="source.absente",
        gravite=GRAVITE_AVERTISSEMENT,
        message=f"Source « {source} » absente pour {millesime} : {effect}.",
        conseil=f"Déposez les fichiers dans data/raw/{source}/{millesime}/."))


def read_adapter(projet: Projet, millesime: int, result, name: str
                 ) -> tuple[pd.DataFrame | None, adapters.Adapter, bool]:
    """Every file of adapter ``name`` read and concatenated.

    Returns the frame (None when nothing could be read), the adapter, and whether any file was
    found. Each file's problems go to ``result``; a bad file never stops the others.
    """
    adapter = replace(adapters.load_adapter(name, projet.dir),
                      departements=tuple(projet.departements))
    files = admitted(projet, result,
                     adapters.find_files(adapter, projet.raw_dir(adapter.source, millesime)))
    frames = []
    for path in files:
        record(result, projet, adapter.source, path, adapter.name, adapter.titre,
               adapter.licence, adapter.table, adapter.vintage_for(millesime), adapter.arrondi,
               " ".join(r.texte() for r in adapter.ruptures))
        frame, problems = read_file(result, adapter, path, millesime, relative(projet, path))
        result.problemes.extend(problems)
        if not frame.empty:
            frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else None
    return frame, adapter, bool(files)


def read_file(result, adapter: adapters.Adapter, path: Path, millesime: int,
              name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """``readers.read_source`` of one file, taken back from ``result.lectures`` when the same
    file (by content) was read by the same adapter and code in an earlier build."""
    kept = result.lectures
    if kept is None:
        return readers.read_source(adapter, path, millesime, name)
    try:
        key = kept.key(adapter, millesime, name, result.hasher(path))
    except OSError:
        key = None  # unreadable: the reader says why
    read = kept.get(key, tuple)
    if read is None:
        read = readers.read_source(adapter, path, millesime, name)
        kept.put(key, read)
    return read


class Stream:
    """The frames of an adapter's files, read chunk by chunk when iterated (FluxIAE files
    streamed, others read whole): nothing is held once a frame is handed over.

    Problems gather in ``problems`` until ``settle`` puts them in the records where a whole
    read would have put them; ``failed`` when a file could not be read to its end (the frames
    already handed over are then to be ignored); ``rows`` counts the rows handed over.
    """

    def __init__(self, projet: Projet, millesime: int, adapter: adapters.Adapter,
                 files: list[Path], at: int) -> None:
        self.projet, self.millesime, self.adapter, self.files = projet, millesime, adapter, files
        self.at, self.problems, self.failed, self.rows = at, [], False, 0

    def __iter__(self):
        for path in self.files:
            name = relative(self.projet, path)
            if self.adapter.reader_for(path) == "fluxiae":
                parts = fluxiae.stream(self.adapter, path, self.millesime, name)
            else:
                parts = [readers.read_source(self.adapter, path, self.millesime, name)]
            for frame, problems in parts:
                self.problems.extend(problems)
                if frame is None:
                    self.failed = True
                    return
                if not frame.empty:
                    self.rows += len(frame)
                    yield frame

    def drain(self) -> None:
        """Read to the end without using the frames (for their problems only)."""
        for _ in self:
            pass

    def settle(self, problemes: list[Probleme]) -> None:
        problemes[self.at:self.at] = self.problems
        self.problems = []


def stream_adapter(projet: Projet, millesime: int, result, name: str) -> Stream | None:
    """The files of adapter ``name`` recorded now and read later, chunk by chunk (None when
    there is no file)."""
    adapter = replace(adapters.load_adapter(name, projet.dir),
                      departements=tuple(projet.departements))
    files = admitted(projet, result,
                     adapters.find_files(adapter, projet.raw_dir(adapter.source, millesime)))
    for path in files:
        record(result, projet, adapter.source, path, adapter.name, adapter.titre,
               adapter.licence, adapter.table, adapter.vintage_for(millesime), adapter.arrondi,
               " ".join(r.texte() for r in adapter.ruptures))
    return Stream(projet, millesime, adapter, files, len(result.problemes)) if files else None


def read_group(projet: Projet, millesime: int, result, source: str, names: list[str],
               effect: str, other_files: bool = False, streamed: tuple[str, ...] = ()
               ) -> dict[str, pd.DataFrame | Stream | None]:
    """Read several adapters of one source; the source is reported missing when none has a
    file (and ``other_files`` says no other adapter of the source found one), and each adapter
    without a file is noted when others have some. The adapters named in ``streamed`` give a
    ``Stream`` (None without a file), read when the caller iterates it."""
    frames, found = {}, {}
    for name in names:
        if name in streamed:
            frames[name] = stream_adapter(projet, millesime, result, name)
            found[name] = frames[name] is not None
            continue
        frames[name], _, found[name] = read_adapter(projet, millesime, result, name)
    if not any(found.values()) and not other_files:
        report_missing(result, projet, source, millesime, effect)
        return frames
    # an adapter whose table a found adapter already feeds is another layout of the same file
    fed = {adapters.load_adapter(n, projet.dir).table for n in names if found[n]}
    for name in names:
        if not found[name] and (any(found.values()) or other_files):
            adapter = adapters.load_adapter(name, projet.dir)
            if adapter.table in fed:
                continue
            result.problemes.append(Probleme(
                fichier=relative(projet, projet.raw_dir(source, millesime)),
                regle="source.fichier_absent", gravite=GRAVITE_INFO,
                message=f"Aucun fichier pour « {adapter.titre} » "
                        f"(motifs : {', '.join(adapter.fichiers)}).",
                conseil=f"Voir pipelines/{name}.yaml ou la commande iae-etat sources."))
    return frames
