"""``iae-etat telecharger``: fetch the public files of the sources for the project's millésime."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import UsageError


def telecharger(
    ctx: typer.Context,
    depuis: Annotated[str | None, typer.Option(
        "--depuis", help="Adresse remplaçant celle des portails (miroir, serveur de test).")
    ] = None,
    delai: Annotated[float, typer.Option(
        "--delai", min=1, help="Délai d'attente du réseau, en secondes.")] = 60.0,
) -> int:
    """Télécharger les fichiers publics (DARES, CAF) du millésime dans data/raw/.

    Les fichiers déjà déposés ne sont jamais remplacés ; un téléchargement interrompu reprend où
    il s'est arrêté ; l'adresse, la date et l'empreinte de chaque fichier sont gardées dans la
    provenance (core_sources).
    """
    from iae_etat.sources import download

    opts = options(ctx)
    projet = opts.projet()
    if opts.millesime is None:
        raise UsageError("Précisez le millésime à télécharger : iae-etat --millesime AAAA "
                         "telecharger.")
    states = {"telecharge": "téléchargé", "deja": "déjà téléchargé, inchangé",
              "conserve": "fichier déposé conservé (jamais remplacé)"}
    done = []
    for item in download.plan(projet, opts.millesime, depuis):
        shown = item.cible.relative_to(projet.dir).as_posix()
        state = download.fetch(item, delai, _bar(shown) if _bars(opts) else None)
        if _bars(opts):
            sys.stderr.write("\n")
        opts.info(f"{shown} : {states[state]}")
        done.append({"fichier": shown, "url": item.url, "etat": state})
    opts.result({"millesime": opts.millesime, "fichiers": done})
    return 0


def _bars(opts) -> bool:
    return not opts.quiet and not opts.json


def _bar(name: str):
    """A progress line on stderr: bytes received, and the share when the size is known."""
    def show(done: int, total: int | None) -> None:
        share = f" {done * 100 // total:3d} %" if total else ""
        sys.stderr.write(f"\r{name} :{share} {done / 1e6:.1f} Mo")
        sys.stderr.flush()
    return show
