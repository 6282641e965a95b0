"""The ``iae-etat`` command line: a thin skin over the Python API, one module per command.

Heavy libraries (pandas, matplotlib…) are imported inside the commands so that ``--help``
answers at once.
"""

from __future__ import annotations

import atexit
import os
import sys

import typer

from iae_etat.cli import (
    _francais,
    campagne,
    check,
    commentaires,
    consolidate,
    demo,
    init,
    questionnaire,
    rules,
    scenario,
    sources,
    stages,
    status,
    telecharger,
)
from iae_etat.cli._options import APP_HELP, global_callback, json_written, write_json
from iae_etat.common.errors import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    IaeEtatError,
    os_error_text,
)
from iae_etat.tables.files import printable

app = typer.Typer(
    cls=_francais.FrenchGroup, name="iae-etat", add_completion=False,
    pretty_exceptions_enable=False, subcommand_metavar="COMMANDE [ARGUMENTS]...",
    context_settings={"help_option_names": ["-h", "--help"]})
app.callback(help=APP_HELP)(global_callback)
for function in (init.init, questionnaire.questionnaire, check.check, stages.ingest,
                 stages.analyse, stages.report, stages.build, sources.sources,
                 telecharger.telecharger, status.status, campagne.campagne, scenario.scenario,
                 commentaires.commentaires, consolidate.consolidate, rules.regles, demo.demo):
    app.command(cls=_francais.FrenchCommand)(function)


_GLOBAL_FLAGS = {"--quiet", "-q", "--verbose", "-v", "--debug", "--json", "--strict"}
_GLOBAL_WITH_VALUE = {"--project-dir", "--millesime", "--log-file"}


def hoist_global_options(args: list[str]) -> list[str]:
    """Accept the global options after the command name too: ``iae-etat build --quiet``."""
    position = 0
    while position < len(args) and args[position].startswith("-"):
        position += 2 if args[position] in _GLOBAL_WITH_VALUE else 1
    head, command, rest = args[:position], args[position:position + 1], args[position + 1:]
    moved: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if token == "--":
            kept += rest[index:]
            break
        if token in _GLOBAL_WITH_VALUE:
            moved += rest[index:index + 2]
            index += 2
            continue
        target = moved if token in _GLOBAL_FLAGS or token.split("=")[0] in _GLOBAL_WITH_VALUE \
            else kept
        target.append(token)
        index += 1
    return head + moved + command + kept


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with the documented code."""

    args = hoist_global_options(sys.argv[1:] if argv is None else argv) or ["--help"]
    debug = "--debug" in args
    failure: dict = {}
    if "--help" in args or "-h" in args:
        _francais.install()
    try:
        code = app(args=args, prog_name="iae-etat", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.TyperException as exc:
        message = _francais.translate_error(exc.format_message())
        failure = {"erreur": message}
        typer.echo(printable("Erreur d'utilisation : " + message), err=True)
        typer.echo("Aide : iae-etat --help, ou iae-etat COMMANDE --help.", err=True)
        code = EXIT_USAGE
    except typer.Abort:
        code = EXIT_INTERRUPTED
    except IaeEtatError as exc:
        if debug:
            raise
        _report_error(exc)
        code = exc.exit_code
        failure = {"erreur": exc.message, "conseil": exc.conseil,
                   "problemes": [p.as_row() for p in getattr(exc, "problemes", [])]}
    except OSError as exc:
        if debug:
            raise
        name = f" ({printable(str(exc.filename))})" if getattr(exc, "filename", None) else ""
        typer.echo(f"Erreur : lecture ou écriture impossible{name} : {os_error_text(exc)}.",
                   err=True)
        typer.echo("Conseil : libérez de la place ou vérifiez les droits du dossier du projet, "
                   "puis relancez.", err=True)
        code = EXIT_DATA
        failure = {"erreur": f"lecture ou écriture impossible : {os_error_text(exc)}"}
    except Exception:
        if debug:
            raise
        import traceback

        last = traceback.extract_tb(sys.exc_info()[2])[-1]
        typer.echo("Erreur interne inattendue (relancez avec --debug pour la trace) : "
                   f"{sys.exc_info()[0].__name__} dans {last.name}.", err=True)
        code = 70
        failure = {"erreur": "erreur interne inattendue"}
    code = code if isinstance(code, int) else 0
    if code == EXIT_INTERRUPTED:  # Ctrl-C, which typer turns into this code silently
        typer.echo("Interrompu.", err=True)
    if "--json" in args and not json_written() and "--help" not in args and "-h" not in args:
        write_json({"code_sortie": code, **failure})  # cron reads an object on every exit
    sys.exit(code)


def program() -> None:
    """The ``iae-etat`` program: ``main``, then an exit that skips the interpreter's teardown,
    which frees every object of a build one by one (a third of a second for the demo). What
    the command wrote is flushed and the ``atexit`` handlers run first: every file of the
    build is already closed (the journal opens and closes its file for each event)."""
    try:
        main()
    except SystemExit as exc:
        if not isinstance(exc.code, int | None):
            raise
        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        os._exit(exc.code or 0)


def _report_error(exc) -> None:
    typer.echo(printable(f"Erreur : {exc.message}"), err=True)
    for probleme in getattr(exc, "problemes", [])[:20]:
        where = " ".join(x for x in (probleme.fichier, probleme.feuille, probleme.cellule) if x)
        typer.echo(printable(f"  - {where} : {probleme.message}"), err=True)
    if exc.conseil:
        typer.echo(printable(f"Conseil : {exc.conseil}"), err=True)
