"""``ingest``, ``analyse``, ``report`` and ``build``: the stages of a millésime."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options

_MESSAGES = {"ingest": "Ingestion", "analyse": "Analyse", "report": "Rapport"}


def _run(ctx: typer.Context, steps: tuple[str, ...]) -> int:
    from iae_etat.build import run

    opts = options(ctx)
    projet = opts.projet()
    millesime = projet.choose_millesime(opts.millesime)
    opts.info(f"{projet.nom} — millésime {millesime} : "
              f"{', '.join(_MESSAGES[s].lower() for s in steps)}…")
    summary = run(projet, millesime, steps, strict=opts.strict)
    if summary.questionnaires_recus:
        opts.info(f"Questionnaires : {summary.questionnaires_recus} reçus, "
                  f"{summary.questionnaires_retenus} retenus.")
    for source in summary.sources_absentes:
        opts.info(f"Source absente : {source}.")
    if summary.erreurs or summary.avertissements:
        opts.info(f"Anomalies : {summary.erreurs} erreur(s), {summary.avertissements} "
                  f"avertissement(s) — voir reports/{millesime}/controles/anomalies.csv.")
    for table in summary.tables:
        opts.detail(f"Table : data/processed/{millesime}/{table}.parquet")
    for path in summary.sorties:
        opts.info(f"Écrit : {path}")
    opts.info(f"Terminé en {summary.duree_s:.1f} s.")
    opts.result(summary.as_dict())
    return summary.code_sortie


def ingest(ctx: typer.Context) -> int:
    """Lire les fichiers de data/raw/ et écrire les tables validées de data/processed/."""
    return _run(ctx, ("ingest",))


def analyse(ctx: typer.Context) -> int:
    """Calculer les indicateurs (offre, besoins, couverture) sous secret statistique."""
    return _run(ctx, ("analyse",))


def report(ctx: typer.Context) -> int:
    """Produire le rapport HTML et les fichiers de contrôle dans reports/."""
    return _run(ctx, ("report",))


def build(ctx: typer.Context) -> int:
    """Tout enchaîner : ingestion, analyse et rapport du millésime."""
    return _run(ctx, ("ingest", "analyse", "report"))
