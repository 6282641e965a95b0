"""``iae-etat consolidate``: the regional comparison of several départements (annexe 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import EXIT_DATA


def consolidate(
    ctx: typer.Context,
    entrees: Annotated[list[Path], typer.Argument(
        metavar="PROJET...",
        help="Dossiers de projet iae-etat (ou fichiers annexe4-<département>-<millésime>.csv "
             "reçus des départements).")],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Dossier où écrire la comparaison régionale.")],
) -> int:
    """Comparer les départements : tableau régional de l'annexe 4 (CSV, Excel) et page HTML."""
    from iae_etat.report.consolidation import run_consolidate

    opts = options(ctx)
    problemes: list = []
    paths = run_consolidate(list(entrees), output, opts.millesime, problemes)
    for probleme in problemes:
        opts.info(f"  avertissement : {probleme.fichier} › {probleme.cellule} : "
                  f"{probleme.message}")
    for path in paths:
        opts.info(f"Écrit : {path}")
    opts.result({"sorties": [str(p) for p in paths],
                 "problemes": [p.as_row() for p in problemes]})
    return EXIT_DATA if opts.strict and problemes else 0
