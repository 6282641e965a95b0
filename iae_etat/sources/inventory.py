"""What each adapter expects, where, and what the project holds (``iae-etat sources``)."""

from __future__ import annotations

import re
from pathlib import Path

from iae_etat.common import resources
from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.common.vocabulary import QUESTIONNAIRES
from iae_etat.project.config import Projet
from iae_etat.sources import adapters
from iae_etat.sources.download import portal

QUESTIONNAIRE_SOURCE = "questionnaires"
RETURN_SUFFIXES = (".xlsx", ".ods")
_RETURN_NAME = re.compile(r"^\d{14}")  # returns are named <siret>[_<type>].xlsx


def expected_folder(source: str, millesime: int | None) -> str:
    """``data/raw/<source>/<millésime>/`` (the year when known)."""
    return f"data/raw/{source}/{millesime if millesime is not None else '<millésime>'}/"


def inventory(projet: Projet, millesime: int | None) -> list[dict]:
    """One entry per adapter of ``pipelines/``: expectations and the files found."""
    entries = []
    for filename in resources.names("pipelines", projet.dir, ".yaml"):
        adapter = adapters.load_adapter(filename.removesuffix(".yaml"), projet.dir)
        year = millesime if millesime is not None else 0
        mapping = dict(adapter.colonnes)
        for y in sorted(adapter.millesimes):
            if y <= year:
                mapping.update(adapter.millesimes[y])
        folder = projet.raw_dir(adapter.source, millesime)
        found = adapters.find_files(adapter, folder) if millesime is not None else []
        lecteur = adapter.lecteur if isinstance(adapter.lecteur, str) else \
            ", ".join(f"{k} : {v}" for k, v in adapter.lecteur.items())
        entries.append({
            "adaptateur": adapter.name, "titre": adapter.titre, "source": adapter.source,
            "dossier": expected_folder(adapter.source, millesime).rstrip("/"),
            "fichiers_attendus": list(adapter.fichiers), "lecteur": lecteur,
            "feuille": adapter.feuille or "", "table": adapter.table,
            "licence": adapter.licence,
            "vintage": adapter.vintage_for(millesime) if millesime is not None else "",
            "colonnes": {k: _shown(v, year if millesime is not None else None)
                         for k, v in mapping.items()},
            "facultatives": list(adapter.facultatives),
            "telechargement": portal(adapter),
            "fichiers_trouves": [p.name for p in found]})
    entries.append(_questionnaires_entry(projet, millesime))
    return entries


def _questionnaires_entry(projet: Projet, millesime: int | None) -> dict:
    """The returned questionnaires: not an adapter, read by ``questionnaire.reader``."""
    folder = projet.raw_dir(QUESTIONNAIRE_SOURCE, millesime) if millesime is not None else None
    found = sorted(p.name for p in folder.iterdir() if p.is_file()
                   and not p.name.startswith(".")) if folder is not None and folder.is_dir() \
        else []
    return {"adaptateur": "questionnaire", "titre": "Questionnaires renvoyés par les SIAE",
            "source": QUESTIONNAIRE_SOURCE,
            "dossier": expected_folder(QUESTIONNAIRE_SOURCE, millesime).rstrip("/"),
            "fichiers_attendus": [f"*{s}" for s in RETURN_SUFFIXES], "lecteur": "questionnaire",
            "feuille": "", "table": QUESTIONNAIRES, "licence": "",
            "vintage": str(millesime) if millesime is not None else "",
            "colonnes": {}, "facultatives": [], "fichiers_trouves": found, "telechargement": {}}


def misplaced(projet: Projet, millesime: int | None) -> list[Probleme]:
    """Files of ``data/raw/`` where no reader looks: directly in a source folder (without its
    millésime folder), or a return in another source's folder. Each record says where the file
    should go (``millesime``: the year proposed, the latest one present when None)."""
    raw = projet.dir / "data" / "raw"
    year = millesime if millesime is not None else max(projet.millesimes(), default=None)
    problems = []
    patterns = _patterns_by_source(projet)
    for source in sorted(set(patterns) | {QUESTIONNAIRE_SOURCE}):
        base = raw / source
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.iterdir() if p.is_file()
                           and not p.name.startswith(".")):
            problems.append(_misplaced(projet, path, source, year, "sans son dossier de "
                                       "millésime"))
        if source == QUESTIONNAIRE_SOURCE or millesime is None:
            continue
        folder = base / str(millesime)
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file()
                           and not p.name.startswith(".")):
            if path.suffix.lower() in RETURN_SUFFIXES and _RETURN_NAME.match(path.name) and \
                    not any(path.match(pattern) for pattern in patterns[source]):
                problems.append(_misplaced(projet, path, QUESTIONNAIRE_SOURCE, millesime,
                                           f"dans le dossier de la source « {source} »"))
    return problems


def _patterns_by_source(projet: Projet) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for filename in resources.names("pipelines", projet.dir, ".yaml"):
        adapter = adapters.load_adapter(filename.removesuffix(".yaml"), projet.dir)
        out.setdefault(adapter.source, []).extend(adapter.fichiers)
    return out


def _misplaced(projet: Projet, path: Path, source: str, year: int | None,
               why: str) -> Probleme:
    where = expected_folder(source, year)
    return Probleme(
        fichier=path.relative_to(projet.dir).as_posix(), regle="source.fichier_mal_place",
        gravite=GRAVITE_AVERTISSEMENT, attendu=where,
        message=f"Fichier non lu : il est {why} ; il doit être déposé dans {where}.",
        conseil=f"Déplacez-le dans {where} puis relancez.")


def _shown(header: str | tuple[str, ...], year: int | None) -> str:
    """A column's header (its accepted headers joined by « ou »), for the listing."""
    headers = header if isinstance(header, tuple) else (header,)
    return " » ou « ".join(h.format(millesime=year) if year is not None else h for h in headers)
