"""``iae-etat sources``: the source adapters, what each expects and where, what was found."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options


def sources(ctx: typer.Context) -> int:
    """Lister les sources : fichiers attendus, colonnes lues, fichiers trouvés."""
    from iae_etat.sources.inventory import inventory, misplaced

    opts = options(ctx)
    projet = opts.projet()
    present = projet.millesimes()
    millesime = projet.choose_millesime(opts.millesime) if opts.millesime or present else None
    entries = inventory(projet, millesime)
    opts.info(f"Projet : {projet.nom} — "
              + (f"millésime {millesime}" if millesime else "aucun millésime déposé"))
    for entry in entries:
        found = entry["fichiers_trouves"]
        state = f"{len(found)} fichier(s) trouvé(s)" if found else "aucun fichier"
        opts.info("")
        opts.info(f"{entry['titre']} [{entry['adaptateur']}] — {state}")
        opts.info(f"  Dossier : {entry['dossier']}/ — fichiers "
                  + ", ".join(entry["fichiers_attendus"]) + f" (lecteur {entry['lecteur']}"
                  + (f", feuille {entry['feuille']}" if entry["feuille"] else "") + ")")
        columns = ", ".join(f"« {v} »" + (" (facultative)" if k in entry["facultatives"] else "")
                            for k, v in entry["colonnes"].items())
        opts.info(f"  Colonnes lues : {columns}" if columns else
                  "  Réponses lues par leur code (colonne A de chaque onglet du questionnaire)")
        opts.info(f"  Alimente : {entry['table']} — licence : {entry['licence'] or 'non précisée'}"
                  + (f" — données : {entry['vintage']}" if entry["vintage"] else ""))
        where = entry["telechargement"]
        if where:
            opts.info(f"  Fichier public : jeu « {where['jeu']} » sur {where['page']} — à "
                      f"enregistrer sous {entry['dossier']}/{where['fichier']} "
                      "(ou : iae-etat telecharger)")
        for name in found:
            opts.detail(f"  Trouvé : {name}")
    wrong = misplaced(projet, millesime)
    if wrong:
        opts.info(f"\n{len(wrong)} fichier(s) mal placé(s), donc non lu(s) :")
    for probleme in wrong:
        opts.info(f"  {probleme.fichier} : {probleme.message}")
    opts.result({"millesime": millesime, "adaptateurs": entries,
                 "fichiers_mal_places": [p.as_row() for p in wrong]})
    return 0
