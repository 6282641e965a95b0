"""``iae-etat scenario FICHIER``: what-if hypotheses on the offer, coverage before and after."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from iae_etat.cli._options import options


def scenario(
    ctx: typer.Context,
    fichier: Annotated[Path, typer.Argument(
        metavar="FICHIER",
        help="Fichier de scénario (TOML) : des tables « hypothese » qui ajoutent ou "
             "retirent des ETP conventionnés d'un type de SIAE dans une commune ou un EPCI, ou "
             "créent une structure dans une commune. Exemple : "
             "scenarios/exemple-scenario.toml du projet de démonstration.")],
) -> int:
    """Simuler un scénario : couverture des besoins avant et après (plan d'action)."""
    from iae_etat.scenario.run import run_scenario

    opts = options(ctx)
    projet = opts.projet()
    millesime = projet.choose_millesime(opts.millesime)
    resultat = run_scenario(projet, millesime, fichier)
    _show(opts, resultat, millesime)
    relative = [p.relative_to(projet.dir).as_posix() for p in resultat.sorties]
    for path in relative:
        opts.info(f"Écrit : {path}")
    opts.result({"millesime": millesime, "scenario": resultat.scenario.fichier,
                 "titre": resultat.scenario.titre, "diffusion": resultat.diffusion,
                 "hypotheses": _records(resultat.hypotheses),
                 "lignes": _records(resultat.table), "sorties": relative})
    return 0


def _show(opts, resultat, millesime: int) -> None:
    """The hypotheses and the before/after table on the terminal."""
    if opts.quiet or opts.json:
        return
    from rich.console import Console
    from rich.table import Table

    from iae_etat.scenario.outputs import TERMINAL_HEADERS, terminal_rows
    from iae_etat.scenario.simulate import METHODE

    titre = resultat.scenario.titre or resultat.scenario.fichier
    typer.echo(f"Scénario : {titre} — millésime {millesime} (diffusion {resultat.diffusion})")
    for description in resultat.hypotheses["description"]:
        typer.echo(f"  - {description}")
    table = Table(title="Couverture des besoins avant → après", title_justify="left")
    for header in TERMINAL_HEADERS:
        table.add_column(header, overflow="fold")
    for row in terminal_rows(resultat.table):
        table.add_row(*row)
    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200).print(table)
    typer.echo(METHODE)


def _records(frame) -> list[dict]:
    """Rows for JSON: missing values as null."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
