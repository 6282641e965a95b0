"""``iae-etat regles``: the catalogue of control rules (``schemas/regles.yaml``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from iae_etat.cli._options import options
from iae_etat.common import rules
from iae_etat.common.errors import UsageError


def regles(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Argument(
        help="Code d'une règle (par exemple questionnaire.nombre_invalide) ou début de code "
             "(questionnaire) : n'afficher que ces règles, en détail.",
        show_default=False)] = None,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Écrire la référence des contrôles en Markdown (docs/controles.md).")
    ] = False,
) -> int:
    """Lister les règles de contrôle : code, gravité, titre, message et conseil."""
    opts = options(ctx)
    if markdown:
        typer.echo(rules.markdown(), nl=False)
        return 0
    chosen = [r for r in rules.catalogue().values()
              if code is None or r.code == code or r.code.startswith(f"{code}.")]
    if not chosen:
        import difflib

        close = difflib.get_close_matches(code or "", list(rules.catalogue()), n=1)
        hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
        raise UsageError(f"Aucune règle « {code} ».{hint}",
                         conseil="« iae-etat regles » liste toutes les règles.")
    opts.result({"regles": [asdict(r) for r in chosen]})
    if code is not None and len(chosen) <= 3:
        for r in chosen:
            opts.info(f"{r.code} — {r.gravite} — {r.titre}\n  Message : {r.message}\n"
                      f"  Conseil : {r.conseil}")
        return 0
    width = max(len(r.code) for r in chosen)
    famille = ""
    for r in chosen:
        if r.famille != famille:
            famille = r.famille
            opts.info(f"\n{famille}")
        opts.info(f"  {r.code.ljust(width)}  {r.gravite.ljust(13)}  {r.titre}")
        opts.detail(f"  {'':{width}}  {'':13}  Conseil : {r.conseil}")
    opts.info(f"\n{len(chosen)} règle(s). Détail d'une règle : iae-etat regles CODE ; "
              "toutes les colonnes : --json ou --verbose.")
    return 0
