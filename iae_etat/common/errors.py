"""Error types and the data-problem record shared by every stage.

A user error never surfaces as a traceback: commands raise one of the exceptions below, the CLI
prints its French message and exits with its code. Data problems are *records* (`Probleme`),
collected all at once and written to the controls.
"""

from __future__ import annotations

import errno
import re
from dataclasses import asdict, dataclass

from iae_etat.common import rules

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75
EXIT_INTERRUPTED = 130  # Ctrl-C

GRAVITE_ERREUR = "erreur"
GRAVITE_AVERTISSEMENT = "avertissement"
GRAVITE_INFO = "info"


class IaeEtatError(Exception):
    """Base of the errors a user can meet; carries a French message and an exit code."""

    exit_code = EXIT_DATA

    def __init__(self, message: str, conseil: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.conseil = conseil


class ConfigError(IaeEtatError):
    """The project directory or its configuration is unusable (exit 2)."""

    exit_code = EXIT_USAGE


class UsageError(IaeEtatError):
    """The command was called with arguments that cannot work (exit 2)."""

    exit_code = EXIT_USAGE


class ScenarioError(UsageError):
    """A what-if file of ``iae-etat scenario`` cannot be used (exit 2); every problem listed."""

    def __init__(self, message: str, problemes: list[Probleme] | None = None, conseil: str = ""):
        super().__init__(message, conseil)
        self.problemes = problemes or []


class DataError(IaeEtatError):
    """Blocking data problems stopped the run (exit 1); the problems are listed."""

    exit_code = EXIT_DATA

    def __init__(self, message: str, problemes: list[Probleme] | None = None, conseil: str = ""):
        super().__init__(message, conseil)
        self.problemes = problemes or []


class WriteError(IaeEtatError):
    """An output could not be written (disk full, permissions); nothing was published."""

    exit_code = EXIT_DATA


@dataclass(frozen=True)
class Probleme:
    """One data problem, located as precisely as the source allows (columns of DESIGN.md §8).

    Without ``gravite`` or ``conseil``, the rule's own (``schemas/regles.yaml``) are taken; a
    code missing from the catalogue is an ``erreur`` (and fails ``tests/common/test_rules.py``).
    """

    fichier: str
    regle: str
    message: str
    feuille: str = ""
    cellule: str = ""
    champ: str = ""
    valeur: str = ""
    attendu: str = ""
    conseil: str = ""
    gravite: str = ""

    COLUMNS = ("fichier", "feuille", "cellule", "champ", "valeur", "regle", "attendu", "message",
               "conseil", "gravite")

    def __post_init__(self) -> None:
        if self.gravite and self.conseil:
            return
        declared = rules.rule(self.regle)
        if not self.gravite:
            object.__setattr__(self, "gravite",
                               declared.gravite if declared else GRAVITE_ERREUR)
        if not self.conseil and declared is not None:
            object.__setattr__(self, "conseil", declared.conseil)

    @property
    def bloquant(self) -> bool:
        return self.gravite == GRAVITE_ERREUR

    def as_row(self) -> dict[str, str]:
        """The record as an ordered row of the controls file."""
        values = asdict(self)
        return {name: str(values[name]) for name in self.COLUMNS}



_ERRNO_FR = {
    errno.ENOSPC: "plus de place sur le disque", errno.EDQUOT: "quota disque dépassé",
    errno.EACCES: "permission refusée", errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable", errno.EIO: "erreur d'entrée-sortie du disque",
    errno.ENAMETOOLONG: "nom de fichier trop long", errno.EMFILE: "trop de fichiers ouverts",
    errno.EISDIR: "c'est un dossier", errno.ENOTDIR: "ce n'est pas un dossier",
    errno.EEXIST: "le fichier existe déjà", errno.ENOTEMPTY: "le dossier n'est pas vide",
    errno.EFBIG: "fichier trop volumineux", errno.EXDEV: "déplacement entre deux disques",
    errno.EBUSY: "fichier ou dossier occupé",
}
_ERRNO_IN_TEXT = re.compile(r"Errno (\d+)")


def os_error_text(exc: BaseException) -> str:
    """The French reason of an operating-system error (``[Errno 28] …`` → « plus de place sur
    le disque »), also for ``shutil.Error`` whose message is a list of such errors."""
    number = getattr(exc, "errno", None)
    if number is None:
        found = _ERRNO_IN_TEXT.search(str(exc))
        number = int(found.group(1)) if found else None
    if number is None:
        return "erreur du système de fichiers"
    return _ERRNO_FR.get(number, f"erreur système n° {number}")
