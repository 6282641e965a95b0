"""``iae-etat campagne``: where the questionnaire campaign stands, and the reminders to send."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import EXIT_OK
from iae_etat.project.lock import project_lock
from iae_etat.project.settings import campagne as settings

SHOWN = 30


def campagne(ctx: typer.Context) -> int:
    """Suivre la campagne des questionnaires : état de chaque SIAE, relances, publipostage.

    Lit les fichiers reçus comme « check » (rien n'est construit) et écrit dans
    reports/<millésime>/campagne/ : relances.xlsx et relances.csv (les SIAE à relancer, avec
    leurs contacts quand la liste des SIAE les donne) et publipostage.csv (SIRET, dénomination,
    courriel, pièce jointe, échéance de [campagne] echeance). Ces fichiers contiennent des
    coordonnées : ne les publiez pas.
    """
    import tempfile
    from pathlib import Path

    from iae_etat.pipeline.campagne import A_CORRIGER, ETATS, relances, write_campaign
    from iae_etat.pipeline.campagne import campaign_table as build_table
    from iae_etat.sources.contacts import read_contacts
    from iae_etat.sources.stage import run_ingest
    from iae_etat.tables.catalogue import Catalogue

    opts = options(ctx)
    projet = opts.projet()
    millesime = projet.choose_millesime(opts.millesime)
    echeance = settings(projet).echeance_texte
    with tempfile.TemporaryDirectory(prefix="iae-etat-campagne-") as tmp:
        catalogue = Catalogue(Path(tmp), projet.dir)
        run_ingest(projet, millesime, catalogue)
        collecte = catalogue.read("core_collecte")
        liste = catalogue.read_optional("raw_structures")
    table = build_table(projet, millesime, collecte, read_contacts(projet, millesime), echeance,
                        liste)
    folder = projet.reports_dir(millesime) / "campagne"
    with project_lock(projet.dir):
        written = write_campaign(folder, table, millesime, echeance, projet.notice)
    counts = {etat: int((table["etat"] == etat).sum()) for etat in ETATS}
    chase = relances(table)
    placed = set(zip(table["siret"], table["type_siae"], strict=True))
    unattached = sorted(f for f, s, t in zip(collecte["fichier"], collecte["siret"],
                                             collecte["type_siae"], strict=True)
                        if isinstance(f, str) and (s, t) not in placed)
    opts.info(f"{projet.nom} — campagne des questionnaires {millesime}"
              + (f" (échéance : {echeance})" if echeance else ""))
    opts.info(f"{len(table)} SIAE : {counts['accepté']} questionnaire(s) accepté(s), "
              f"{counts[A_CORRIGER]} à corriger, {counts['envoyé']} envoyé(s) sans réponse, "
              f"{counts['manquant']} manquant(s) (questionnaire non préparé).")
    for row in chase.head(SHOWN).itertuples(index=False):
        contact = row.courriel or row.telephone or "contact inconnu"
        opts.info(f"  {row.etat} : {row.siret} {row.type_siae} {row.denomination} — {contact}")
    if len(chase) > SHOWN:
        opts.info(f"  … et {len(chase) - SHOWN} autre(s) dans relances.xlsx.")
    missing = chase[chase["piece_jointe_presente"] == "non"]
    if not missing.empty:
        opts.info(f"{len(missing)} pièce(s) jointe(s) à produire : lancez « iae-etat "
                  "questionnaire » (questionnaires) ou « iae-etat build » (classeurs annotés).")
    for name in unattached:
        opts.info(f"Fichier reçu non rattaché à une SIAE de la liste (voir « iae-etat check ») : "
                  f"{name}")
    where = folder.relative_to(projet.dir).as_posix()
    opts.info(f"Relances et publipostage écrits dans {where}/.")
    opts.result({"millesime": millesime, "echeance": echeance, "siae": len(table),
                 "etats": counts, "a_relancer": len(chase), "code_sortie": EXIT_OK,
                 "fichiers_non_rattaches": unattached,
                 "fichiers": [p.relative_to(projet.dir).as_posix() for p in written],
                 "structures": table.to_dict("records")})
    return EXIT_OK
