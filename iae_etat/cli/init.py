"""``iae-etat init``: create an empty project directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from iae_etat.cli._options import options
from iae_etat.project.init import create_project


def init(
    ctx: typer.Context,
    dossier: Annotated[Path, typer.Argument(help="Dossier du nouveau projet (créé s'il "
                                                 "n'existe pas).")],
    departement: Annotated[list[str], typer.Option(
        "--departement", "-d", help="Code du département couvert (répéter l'option pour "
                                    "plusieurs départements).")],
    nom: Annotated[str, typer.Option("--nom", help="Nom du projet affiché dans les "
                                                   "rapports.")] = "",
) -> int:
    """Créer un projet vide : configuration, dossiers data/raw/<source>/ et mode d'emploi."""

    opts = options(ctx)
    path = create_project(dossier, departement, nom)
    opts.info(f"Projet créé : {path}")
    opts.info("Déposez les fichiers dans data/raw/<source>/<millésime>/ puis lancez "
              f"« iae-etat --project-dir {dossier} build ».")
    opts.result({"projet": str(path)})
    return 0
