"""What the readers of text sources share: bounded opening, the record of a file that cannot be
read, and personal columns dropped before anything else sees them."""

from __future__ import annotations

import zlib
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import Probleme
from iae_etat.sources.adapters import Adapter
from iae_etat.tables.etendue import TooLarge, read_bounded


class LineTooLong(Exception):
    """A record of a text file longer than any real one (``limit`` characters): the file is a
    bomb or not a text table, and its reading stops there."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(line)
        self.line, self.limit = line, limit


def open_text(path: Path, encoding: str) -> str:
    """The text of a file, gunzipped when its name ends with ``.gz``, at most
    ``etendue.MAX_TEXT_BYTES`` (``TooLarge`` beyond, found while streaming)."""
    return read_bounded(path).decode(encoding)


def unreadable(exc: Exception, adapter: Adapter, display_name: str) -> list[Probleme] | None:
    """The record of a file that cannot be opened as text (too large, damaged archive, not
    encoded as the adapter says), or None when ``exc`` is none of those."""
    if isinstance(exc, UnicodeDecodeError):
        return [encoding_problem(adapter, display_name)]
    if isinstance(exc, TooLarge):
        limit = exc.limit // 1048576
        what = "une fois décompressé " if display_name.lower().endswith(".gz") else ""
        return [Probleme(
            fichier=display_name, regle="source.fichier_trop_gros",
            valeur=f"> {limit} Mio", attendu=f"≤ {limit} Mio",
            message=f"Fichier refusé : il dépasse {limit} Mio {what}; sa lecture a été arrêtée "
                    "à cette limite et il n'a pas été lu.",
            conseil="Vérifiez le fichier (export complet d'un autre territoire ?) ou "
                    "découpez-le par département.")]
    if isinstance(exc, LineTooLong):
        limit = exc.limit // 1048576
        return [Probleme(
            fichier=display_name, cellule=f"ligne {exc.line}", regle="source.fichier_trop_gros",
            valeur=f"> {limit} Mio", attendu=f"une ligne ≤ {limit} Mio",
            message=f"Fichier refusé : sa ligne {exc.line} dépasse {limit} Mio (ce n'est pas un "
                    "export en lignes) ; sa lecture a été arrêtée et il n'a pas été lu.",
            conseil="Exportez le fichier à nouveau depuis l'extranet de l'ASP.")]
    if isinstance(exc, OSError | EOFError | zlib.error):
        return [Probleme(
            fichier=display_name, regle="source.fichier_illisible",
            message="Fichier refusé : il ne peut pas être lu (archive .gz endommagée ou "
                    "tronquée).",
            conseil="Téléchargez ou exportez le fichier à nouveau.")]
    return None


def encoding_problem(adapter: Adapter, display_name: str) -> Probleme:
    return Probleme(
        fichier=display_name, regle="source.encodage",
        message=f"Le fichier n'est pas encodé en {adapter.encodage}.",
        conseil=f"Enregistrez-le en {adapter.encodage} ou modifiez « encodage » dans "
                f"pipelines/{adapter.name}.yaml.")


def drop_personal(adapter: Adapter, frame: pd.DataFrame) -> pd.DataFrame:
    """Personal columns never leave the reader; a year may be kept from a personal date first."""
    frame = frame.copy()
    for target, date_column in adapter.annee_de.items():
        if date_column in frame.columns and target not in frame.columns:
            frame[target] = frame[date_column].astype("string").str.strip().str[-4:]
    return frame[[c for c in frame.columns if not adapter.is_personal(c)]]
