"""``iae-etat status``: the state of every millésime of the project."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options
from iae_etat.pipeline.stages import label
from iae_etat.pipeline.status import project_status


def status(ctx: typer.Context) -> int:
    """Montrer l'état du projet : millésimes, ce qui est à refaire, collecte, anomalies."""

    opts = options(ctx)
    projet = opts.projet()
    entries = project_status(projet)
    opts.info(f"Projet : {projet.nom} ({projet.dir})")
    if not entries:
        opts.info("Aucun millésime : déposez des fichiers dans data/raw/<source>/<millésime>/.")
    for entry in entries:
        built = entry["derniere_construction"]
        stale = entry["etapes_a_refaire"]
        state = "à jour" if not stale else \
            "à refaire : " + ", ".join(label(s) for s in stale)
        opts.info(f"Millésime {entry['millesime']} — "
                  + (f"construit le {built}" if built else "jamais construit") + f" — {state}")
        line = f"  Questionnaires : {entry['questionnaires_deposes']} déposés"
        if "questionnaires_retenus" in entry:
            line += f", {entry['questionnaires_retenus']} retenus"
        if "siae" in entry:
            line += (f" ; {entry['siae']} SIAE dans le périmètre, "
                     f"{entry['siae_sans_questionnaire']} sans questionnaire")
        opts.info(line + ".")
        if "campagne" in entry:
            progress = entry["campagne"]
            opts.info(f"  Campagne : {progress['acceptes']} questionnaire(s) accepté(s), "
                      f"{progress['a_corriger']} à corriger, {progress['sans_reponse']} SIAE "
                      "sans réponse (relances : iae-etat campagne).")
        if "erreurs" in entry:
            opts.info(f"  Anomalies : {entry['erreurs']} erreur(s), "
                      f"{entry['avertissements']} avertissement(s).")
        for source in entry.get("sources_absentes", []):
            opts.info(f"  Source absente : {source}.")
    opts.result({"projet": projet.nom, "millesimes": entries})
    return 0
