"""What each adapter expects, where, and what the project holds (``iae-etat sources``)."""

from __future__ import annotations

from iae_etat.common import resources
from iae_etat.project.config import Projet
from iae_etat.sources import adapters
from iae_etat.sources.download import portal


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
            "dossier": folder.relative_to(projet.dir).as_posix(),
            "fichiers_attendus": list(adapter.fichiers), "lecteur": lecteur,
            "feuille": adapter.feuille or "", "table": adapter.table,
            "licence": adapter.licence,
            "vintage": adapter.vintage_for(millesime) if millesime is not None else "",
            "colonnes": {k: _shown(v, year if millesime is not None else None)
                         for k, v in mapping.items()},
            "facultatives": list(adapter.facultatives),
            "telechargement": portal(adapter),
            "fichiers_trouves": [p.name for p in found]})
    return entries


def _shown(header: str | tuple[str, ...], year: int | None) -> str:
    """A column's header (its accepted headers joined by « ou »), for the listing."""
    headers = header if isinstance(header, tuple) else (header,)
    return " » ou « ".join(h.format(millesime=year) if year is not None else h for h in headers)
