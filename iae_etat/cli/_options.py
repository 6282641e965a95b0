"""Global options, defined once, and the helpers every command uses to honour them."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from iae_etat import __version__
from iae_etat.project.config import find_project_dir, load_projet
from iae_etat.project.log import Journal
from iae_etat.tables.files import printable


@dataclass
class GlobalOptions:
    """The options given before the command name."""

    project_dir: Path | None = None
    millesime: int | None = None
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    json: bool = False
    strict: bool = False
    log_file: Path | None = None

    def projet(self):
        """The project found from the options, configuration validated."""

        return load_projet(find_project_dir(self.project_dir))

    def journal(self):
        """The JSON-lines run log asked with --log-file (a no-op otherwise)."""

        return Journal(self.log_file)

    def info(self, message: str) -> None:
        """A progress or result line, silenced by --quiet and by --json."""
        if not self.quiet and not self.json:
            typer.echo(printable(message))

    def detail(self, message: str) -> None:
        """A line shown only with --verbose."""
        if self.verbose and not self.quiet and not self.json:
            typer.echo(printable(message))

    def result(self, data: dict) -> None:
        """The machine-readable summary printed on stdout with --json."""
        if self.json:
            write_json(data)


_JSON_WRITTEN: list[bool] = []


def write_json(data: dict) -> None:
    """One JSON object on stdout (the summary of a command, or of its failure)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
    _JSON_WRITTEN.append(True)


def json_written() -> bool:
    """True once a JSON object was written on stdout during this run."""
    return bool(_JSON_WRITTEN)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"iae-etat {__version__}")
        raise typer.Exit()


def global_callback(
    ctx: typer.Context,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", envvar="IAE_ETAT_PROJECT_DIR", show_envvar=True,
        help="Dossier du projet (celui qui contient iae-etat.toml). Par défaut : le dossier "
             "courant ou le premier parent qui en contient un.")] = None,
    millesime: Annotated[int | None, typer.Option(
        "--millesime", help="Année des données à traiter. Par défaut : la plus récente "
                            "présente dans data/raw/.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="N'afficher que les erreurs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Afficher le détail de chaque étape.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="En cas d'erreur, afficher la trace technique complète.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Écrire un résumé JSON sur la sortie standard (pour cron et scripts).")
    ] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Sortir en erreur (code 1) si une donnée reçue a dû être écartée.")
    ] = False,
    log_file: Annotated[Path | None, typer.Option(
        "--log-file", help="Ajouter le journal de l'exécution à ce fichier (lignes JSON, sans "
                           "donnée personnelle).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Afficher la version et quitter.")] = False,
) -> None:
    """Options common to every command, stored in the context."""
    ctx.obj = GlobalOptions(project_dir, millesime, quiet, verbose, debug, json_output, strict,
                            log_file)


APP_HELP = (
    "État des lieux de l'offre d'insertion par l'activité économique (IAE) et outils de "
    "pilotage du CDIAE.\n\n"
    "Cycle annuel : déposer les fichiers dans data/raw/<source>/<millésime>/, puis lancer "
    "« iae-etat build ».\n\n"
    "Codes de sortie : 0 sorties produites ; 1 erreurs de données ; 2 erreur d'utilisation "
    "ou de configuration ; 70 erreur interne (à signaler, avec la sortie de --debug) ; 75 une "
    "autre exécution est en cours ; 130 interrompu.")


def options(ctx: typer.Context) -> GlobalOptions:
    """The global options of the running command."""
    return ctx.find_root().obj or GlobalOptions()
