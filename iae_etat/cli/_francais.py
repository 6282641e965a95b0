"""French for the parts of the command line that Typer and Click write themselves."""

from __future__ import annotations

import re

import typer.core

_LABELS = {
    "Options": "Options", "Commands": "Commandes", "Arguments": "Arguments", "Error": "Erreur",
    "[default: {}]": "[défaut : {}]", "[env var: {}]": "[variable d'environnement : {}]",
    "[required]": "[obligatoire]", "required": "obligatoire", "default: {default}":
    "défaut : {default}", "env var: {var}": "variable d'environnement : {var}",
    "Missing command.": "Commande manquante.", "No such command {name!r}.":
    "Commande inconnue : {name!r}.", "Aborted!": "Interrompu.", "Aborted.": "Interrompu.",
    "Try [blue]'{command_path} {help_option}'[/] for help.":
    "Aide : [blue]{command_path} {help_option}[/]",
}
_ERRORS = (
    (re.compile(r"^No such option: (.*?)\.?$"), "Option inconnue : {0}."),
    (re.compile(r"^No such command '(.*)'\.$"), "Commande inconnue : {0}."),
    (re.compile(r"^Missing argument '(.*)'\.$"), "Argument manquant : {0}."),
    (re.compile(r"^Missing option '(.*)'\.$"), "Option obligatoire manquante : {0}."),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), "Argument(s) en trop : {0}."),
    (re.compile(r"^Invalid value for (.*?): (.*)$"), "Valeur invalide pour {0} : {1}"),
    (re.compile(r"^Input should be (.*)$"), "{0}"),
    (re.compile(r"^Option '(.*)' requires an argument\.$"), "L'option {0} attend une valeur."),
    (re.compile(r"^Missing command\.$"), "Commande manquante."),
)


# The detail of « Invalid value for … » (Click's types, and Pydantic's through Typer).
_DETAILS = (
    (re.compile(r"^'?(.*?)'? is not a valid integer( range)?\.?$"),
     "« {0} » n'est pas un nombre entier."),
    (re.compile(r"^(?:Input should be )?a valid integer.*$"), "un nombre entier est attendu."),
    (re.compile(r"^'?(.*?)'? is not a valid float\.?$"), "« {0} » n'est pas un nombre."),
    (re.compile(r"^(?:Input should be )?a valid number.*$"), "un nombre est attendu."),
    (re.compile(r"^'?(.*?)'? is not a valid boolean\.?$"), "« {0} » n'est pas oui/non."),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.?$"), "{0} n'existe pas."),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is a directory\.?$"),
     "{0} est un dossier."),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is a file\.?$"), "{0} est un fichier."),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' is not readable\.?$"),
     "{0} n'est pas lisible."),
    (re.compile(r"^'?(.*?)'? is not one of (.*)\.$"), "« {0} » n'est pas l'une des valeurs {1}."),
    (re.compile(r"^'?(.*?)'? is not (?:in the range|within) (.*)\.$"),
     "« {0} » n'est pas dans l'intervalle {1}."),
)


def _detail(text: str) -> str:
    """The detail of a value error in French; an unknown English one is left out."""
    for pattern, french in _DETAILS:
        match = pattern.match(text.strip())
        if match:
            return french.format(*match.groups())
    return "valeur refusée."


def _gettext(message: str) -> str:
    return _LABELS.get(message, message)


_RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(obsolète) ", "DEFAULT_STRING": "[défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]", "REQUIRED_LONG_STRING": "[obligatoire]",
    "ARGUMENTS_PANEL_TITLE": "Arguments", "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes", "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Interrompu.", "RICH_HELP": "Aide : [blue]{command_path} {help_option}[/]",
}
_SUGGESTION = re.compile(r" ?\(Possible options?: (.*)\)")


# The value a parameter takes, shown in the help (Typer shows Python's type names).
_METAVARS = {"int": "ENTIER", "float": "NOMBRE", "str": "TEXTE", "Path": "CHEMIN"}


def french_metavar(param, ctx) -> str | None:
    """The French label of what a parameter takes; nothing for a flag (a yes/no switch)."""
    if param.metavar is not None:
        return param.metavar
    if getattr(param, "is_flag", False):
        return None
    kind = param.bare_type() if hasattr(param, "bare_type") else ""
    many = kind.startswith("list[")
    label = _METAVARS.get(kind.removeprefix("list[").removesuffix("]"), "VALEUR")
    return label + ("..." if many or param.nargs != 1 else "")


def french_range(param) -> str | None:
    """``[x>=1]`` in French: « ≥ 1 »."""
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    parts = ([f"≥ {low}"] if low is not None else []) + ([f"≤ {high}"] if high is not None
                                                         else [])
    return " et ".join(parts) or None


def install() -> None:
    """Put French labels in Typer's help screens (imports rich: call it for help only)."""
    import typer.rich_utils

    typer.rich_utils._ = _gettext
    typer.core._ = _gettext
    for name, french in _RICH_CONSTANTS.items():
        setattr(typer.rich_utils, name, french)
    typer.core.TyperOption.display_type_rich = french_metavar
    typer.core.TyperArgument.display_type_rich = french_metavar
    typer.core.TyperOption._get_number_range_help_str = french_range


def translate_error(message: str) -> str:
    """A Click usage error message in French (unchanged when not recognised)."""
    suggestion = _SUGGESTION.search(message)
    if suggestion:
        message = message[:suggestion.start()]
        return f"{translate_error(message)} Options proches : {suggestion.group(1)}."
    for pattern, french in _ERRORS:
        match = pattern.match(message)
        if match:
            groups = list(match.groups())
            if pattern.pattern.startswith("^Invalid value"):
                groups[1] = _detail(groups[1])
            elif pattern.pattern.startswith("^Input should"):
                groups[0] = _detail(message)
            return french.format(*groups)
    return message


class _FrenchHelp:
    """Mixin: French help of ``--help`` and a French usage line."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Afficher cette aide et quitter."
        return option

    def format_usage(self, ctx, formatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="Utilisation : ")


class FrenchGroup(_FrenchHelp, typer.core.TyperGroup):
    """The command group, with French help."""

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)  # keep the order of the yearly workflow


class FrenchCommand(_FrenchHelp, typer.core.TyperCommand):
    """A command, with French help."""
