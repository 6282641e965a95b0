"""``iae-etat commentaires``: the committee's commentary files of a millésime, created on demand."""

from __future__ import annotations

import typer

from iae_etat.cli._options import options
from iae_etat.report import commentaires as files  # light: the standard library only


def commentaires(ctx: typer.Context) -> int:
    """Créer les fichiers de commentaires du comité (un par section du rapport)."""
    opts = options(ctx)
    projet = opts.projet()
    millesime = projet.choose_millesime(opts.millesime)
    written = files.write_skeletons(projet.dir, millesime)
    relative = [p.relative_to(projet.dir).as_posix() for p in written]
    for path in relative:
        opts.info(f"Écrit : {path}")
    folder = files.folder(projet.dir, millesime).relative_to(projet.dir).as_posix()
    opts.info(f"Écrivez les constats du comité, en Markdown, dans les fichiers de {folder}/ ; "
              "ils apparaissent dans leur section du rapport à la prochaine construction "
              "(« iae-etat build »). Un fichier existant n'est jamais remplacé.")
    opts.result({"millesime": millesime, "dossier": folder, "crees": relative})
    return 0
