"""``iae-etat questionnaire``: write the prefilled questionnaire of every SIAE in scope."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options
from iae_etat.common.errors import UsageError
from iae_etat.common.vocabulary import QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE
from iae_etat.project.lock import project_lock
from iae_etat.tables.files import write_bytes


def questionnaire(ctx: typer.Context) -> int:
    """Préparer le questionnaire annuel prérempli de chaque SIAE de la liste.

    Un classeur par SIAE : reports/<millésime>/questionnaires/<siret>.xlsx.
    """
    from iae_etat.questionnaire.feedback import project_layout
    from iae_etat.questionnaire.generation import questionnaires
    from iae_etat.sources.stage import IngestResult, previous_answers, structures_in_scope
    from iae_etat.tables.contracts import load_contract
    from iae_etat.territoires import referentiel

    opts = options(ctx)
    projet = opts.projet()
    millesime = projet.choose_millesime(opts.millesime)
    territoires = referentiel.territoires(list(projet.departements))
    liste = structures_in_scope(projet, millesime, IngestResult(), territoires)
    if liste is None or liste.empty:
        raise UsageError(f"Aucune SIAE dans la liste des structures de {millesime}.",
                         conseil=f"Déposez la liste des SIAE dans data/raw/structures/"
                                 f"{millesime}/ puis relancez.")
    epcis, exemple = project_layout(territoires, projet.departements[0])
    files = questionnaires(load_contract(QUESTIONNAIRES, projet.dir),
                           load_contract(QUESTIONNAIRES_RESIDENCE, projet.dir), millesime, liste,
                           epcis, previous_answers(projet, millesime - 1),
                           projet.donnees_fictives, exemple)
    folder = projet.reports_dir(millesime) / "questionnaires"
    with project_lock(projet.dir):
        for name, data in files.items():
            write_bytes(folder / name, data)
    where = folder.relative_to(projet.dir).as_posix()
    opts.info(f"{len(files)} questionnaire(s) écrit(s) dans {where}/.")
    opts.result({"millesime": millesime, "questionnaires": len(files), "dossier": where})
    return 0
