"""``iae-etat check``: validate the files of a millésime without building anything."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import (
    EXIT_DATA,
    EXIT_OK,
    GRAVITE_AVERTISSEMENT,
    GRAVITE_INFO,
)
from iae_etat.pipeline.stages import STAGES, Run
from iae_etat.project.validation import SettingsError
from iae_etat.tables.files import HashCache

SHOWN = 50


def check(ctx: typer.Context) -> int:
    """Contrôler les fichiers reçus sans rien construire (code 1 si une erreur bloque).

    Rien n'est écrit dans le projet. Chaque problème cite son fichier, son onglet, sa cellule.
    """
    import tempfile
    from pathlib import Path

    from iae_etat.tables.catalogue import Catalogue

    opts = options(ctx)
    try:
        projet = opts.projet()
    except SettingsError as exc:  # iae-etat.toml invalid: every problem listed, exit 2
        opts.result({"erreurs": len(exc.problemes), "avertissements": 0,
                     "code_sortie": exc.exit_code,
                     "problemes": [p.as_row() for p in exc.problemes]})
        raise
    millesime = projet.choose_millesime(opts.millesime)
    problemes, counts = [], {}
    with tempfile.TemporaryDirectory(prefix="iae-etat-check-") as tmp:
        catalogue = Catalogue(Path(tmp), projet.dir)
        for stage in STAGES:  # the stages that read the received files, in a scratch folder
            if stage.check:
                outcome = stage.runner(Run(projet, millesime, catalogue, None, HashCache()))
                problemes += outcome.problemes
                counts.update(outcome.counts)
    erreurs = [p for p in problemes if p.bloquant]
    avertissements = [p for p in problemes if p.gravite == GRAVITE_AVERTISSEMENT]
    infos = [p for p in problemes if p.gravite == GRAVITE_INFO]
    opts.info(f"{projet.nom} — contrôle du millésime {millesime}")
    opts.info(f"Questionnaires : {counts['questionnaires_recus']} reçu(s), "
              f"{counts['questionnaires_retenus']} retenu(s), "
              f"{counts['questionnaires_ecartes']} écarté(s), "
              f"{counts['questionnaires_manquants']} SIAE sans questionnaire.")
    for probleme in erreurs[:SHOWN]:
        opts.info(f"  erreur : {_where(probleme)} : {probleme.message}")
    if len(erreurs) > SHOWN:
        opts.info(f"  … et {len(erreurs) - SHOWN} autre(s) erreur(s).")
    for probleme in avertissements:
        opts.detail(f"  avertissement : {_where(probleme)} : {probleme.message}")
    for probleme in infos:
        opts.detail(f"  info : {_where(probleme)} : {probleme.message}")
    opts.info(f"Bilan : {len(erreurs)} erreur(s) bloquante(s), {len(avertissements)} "
              f"avertissement(s), {len(infos)} information(s)"
              + ("" if opts.verbose or not (avertissements or infos)
                 else " (--verbose pour les lire)") + ".")
    code = EXIT_DATA if erreurs else EXIT_OK
    opts.result({"millesime": millesime, "erreurs": len(erreurs),
                 "avertissements": len(avertissements), "informations": len(infos),
                 "code_sortie": code,
                 "questionnaires_recus": counts["questionnaires_recus"],
                 "questionnaires_retenus": counts["questionnaires_retenus"],
                 "problemes": [p.as_row() for p in problemes]})
    return code


def _where(probleme) -> str:
    return " › ".join(x for x in (probleme.fichier, probleme.feuille, probleme.cellule) if x)
