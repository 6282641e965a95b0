"""``ingest``, ``analyse``, ``report`` and ``build``: the stages of a millésime."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Annotated

import typer

from iae_etat.cli._options import GlobalOptions, options
from iae_etat.common.apart import in_child
from iae_etat.pipeline.build import run
from iae_etat.pipeline.stages import COMMANDS, label

Force = Annotated[bool, typer.Option(
    "--force", help="Tout recalculer, même ce qui est à jour.")]
Pdf = Annotated[bool, typer.Option(
    "--pdf", help="Produire aussi etat-des-lieux.pdf (WeasyPrint ; plus lent). Réglable dans "
                  "iae-etat.toml : [rapport] pdf = true.")]


def _run(ctx: typer.Context, commands: tuple[str, ...], force: bool,
         every_millesime: bool = False, pdf: bool = False) -> int:

    opts = options(ctx)
    projet = opts.projet()
    millesimes = projet.millesimes() if every_millesime else \
        [projet.choose_millesime(opts.millesime)]
    if every_millesime and not millesimes:
        projet.choose_millesime(None)  # raises the explanation of an empty project
    code, results = 0, []
    # several millésimes: each in a process of its own (``apart``), without the spinner, whose
    # thread a forked child must not share
    several = len(millesimes) > 1 and not opts.debug
    for millesime in millesimes:
        opts.info(f"{projet.nom} — millésime {millesime}")
        with nullcontext(None) if several else _status(opts) as status:
            def on_stage(stage: str, status=status) -> None:
                if status is not None:
                    status.update(f"{label(stage).capitalize()}…")
                opts.detail(f"Étape : {label(stage)}")

            summary = (in_child if several else _in_this_process)(
                run, projet, millesime, commands, strict=opts.strict, force=force,
                journal=opts.journal(), on_stage=on_stage, pdf=pdf)
        _print_summary(opts, summary)
        results.append(summary.as_dict())
        code = max(code, summary.code_sortie)
    opts.result(results[0] if len(results) == 1 else {"millesimes": results})
    return code


def _in_this_process(function, *args, **kwargs):
    return function(*args, **kwargs)


def _status(opts: GlobalOptions):
    """A spinner on an interactive terminal only (never in cron or with --quiet/--json)."""
    if opts.quiet or opts.json or not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console

    return Console(stderr=True).status("Préparation…")


def _print_summary(opts: GlobalOptions, summary) -> None:

    if not summary.etapes_relancees:
        opts.info("Déjà à jour : rien à recalculer (--force pour tout refaire).")
    else:
        opts.info("Étapes exécutées : " + ", ".join(label(s)
                                                     for s in summary.etapes_relancees) + ".")
    if summary.questionnaires_recus:
        opts.info(f"Suivi de la collecte : {summary.questionnaires_recus} questionnaire(s) "
                  f"reçu(s), {summary.questionnaires_retenus} retenu(s), "
                  f"{summary.questionnaires_ecartes} écarté(s) pour erreur bloquante, "
                  f"{summary.questionnaires_manquants} SIAE sans questionnaire.")
    for source in summary.sources_absentes:
        opts.info(f"Source absente : {source}.")
    if summary.erreurs or summary.avertissements:
        opts.info(f"Anomalies : {summary.erreurs} erreur(s), {summary.avertissements} "
                  f"avertissement(s) — voir reports/{summary.millesime}/controles/"
                  "anomalies.xlsx et controles/retours/.")
    for table in summary.tables:
        opts.detail(f"Table : data/processed/{summary.millesime}/{table}.parquet")
    retours = [path for path in summary.sorties if "/controles/retours/" in path]
    for path in summary.sorties:
        if path not in retours:
            opts.info(f"Écrit : {path}")
    if retours:
        opts.info(f"Écrit : reports/{summary.millesime}/controles/retours/ ({len(retours)} "
                  "classeur(s) annoté(s) à renvoyer aux SIAE)")
    for message in summary.messages:
        if not opts.quiet and not opts.json:
            typer.echo(f"Avertissement : {message}", err=True)
    opts.info(f"Terminé en {summary.duree_s:.1f} s.")


def ingest(ctx: typer.Context, force: Force = False) -> int:
    """Lire les fichiers de data/raw/ et écrire les tables validées de data/processed/."""
    return _run(ctx, ("ingest",), force)


def analyse(ctx: typer.Context, force: Force = False) -> int:
    """Calculer les indicateurs (offre, besoins, couverture) sous secret statistique et appliquer
    les scénarios du projet."""
    return _run(ctx, ("analyse",), force)


def report(ctx: typer.Context, force: Force = False, pdf: Pdf = False) -> int:
    """Produire le rapport (HTML, tableau de bord, annexe 4) et les contrôles dans reports/."""
    return _run(ctx, ("report",), force, pdf=pdf)


def build(ctx: typer.Context, force: Force = False, pdf: Pdf = False,
          tous: Annotated[bool, typer.Option(
              "--all", help="Construire tous les millésimes présents, du plus ancien au plus "
                            "récent.")] = False) -> int:
    """Tout enchaîner : ingestion, analyse et rapport (seulement ce qui a changé)."""
    return _run(ctx, COMMANDS, force, every_millesime=tous, pdf=pdf)
