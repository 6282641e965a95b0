"""``iae-etat demo``: (re)generate the fictional demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import UsageError
from iae_etat.territoires.codes import normalise_departement


def demo(
    ctx: typer.Context,
    dossier: Annotated[Path, typer.Argument(help="Dossier du projet de démonstration.")],
    departement: Annotated[list[str] | None, typer.Option(
        "--departement", "-d", help="Département dont la géographie est utilisée (défaut : 26).")
    ] = None,
    graine: Annotated[int, typer.Option("--graine", help="Graine du générateur : même graine, "
                                                         "mêmes fichiers.")] = 2026,
    structures: Annotated[int, typer.Option("--structures", min=1,
                                            help="Nombre de SIAE par département.")] = 50,
) -> int:
    """Écrire dans DOSSIER un jeu de données fictives (SIAE, questionnaires, statistiques)."""
    from iae_etat.demo.generator import generate_demo

    opts = options(ctx)
    codes = []
    for value in departement or ["26"]:
        code = normalise_departement(value)
        if code is None:
            raise UsageError(f"« {value} » n'est pas un code de département.")
        codes.append(code)
    counts = generate_demo(dossier, tuple(codes), seed=graine,
                           structures_per_departement=structures)
    opts.info(f"Données fictives écrites dans {dossier / 'data' / 'raw'} : "
              f"{counts['structures']} SIAE, {counts['questionnaires']} questionnaires, "
              f"{counts['communes']} communes.")
    opts.result(counts)
    return 0
