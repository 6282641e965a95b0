"""The readers of the source adapters: CSV, xlsx, JSON and ASP FluxIAE files into text frames.

Each reader takes an ``Adapter`` (``adapters.py``) and one file, and returns the file's rows in
the columns of the adapter's table, with its problems as records; personal columns never leave
the reader.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from iae_etat.common.errors import Probleme
from iae_etat.sources.adapters import (
    Adapter,
    map_columns,
    normalise_header,
)
from iae_etat.sources.fluxiae import read_fluxiae_source
from iae_etat.sources.long_format import read_long_source
from iae_etat.sources.text_files import drop_personal, open_text, unreadable
from iae_etat.tables.etendue import MAX_CELLS_SOURCE, TooLarge
from iae_etat.tables.safety import CFB_SIGNATURE, sheets_refusal


def read_source(adapter: Adapter, path: Path, millesime: int,
                display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one file of the adapter with its reader, into the table's columns (text)."""
    return BY_NAME[adapter.reader_for(path)](adapter, path, millesime, display_name)


def read_xlsx_source(adapter: Adapter, path: Path, millesime: int,
                     display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one sheet of a workbook (calamine), as text, the header row found by content."""
    from python_calamine import CalamineWorkbook

    refused = _unsafe_workbook(path)
    if refused:
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.classeur_refuse",
                                         message=f"Classeur refusé : {refused}.")]
    try:
        data = path.read_bytes()
        too_large = sheets_refusal(data, path.suffix.lower(), MAX_CELLS_SOURCE) \
            if zipfile.is_zipfile(io.BytesIO(data)) else None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, zlib.error,
            struct.error):
        too_large = ("source.classeur_illisible", "Le classeur est endommagé.", "", "", "", "")
    if too_large:
        regle, message, valeur, attendu, feuille, cellule = too_large
        return pd.DataFrame(), [Probleme(
            fichier=display_name, feuille=feuille, cellule=cellule, valeur=valeur,
            attendu=attendu, regle=regle, message=message,
            conseil="Téléchargez le classeur à nouveau depuis le site de la source, sans le "
                    "modifier.")]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several private error types
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.classeur_illisible",
                                         message="Le classeur ne peut pas être lu (format "
                                                 "non reconnu ou fichier endommagé : "
                                                 f"{type(exc).__name__}).")]
    sheet = adapter.feuille or workbook.sheet_names[0]
    if sheet not in workbook.sheet_names:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, feuille=sheet, regle="source.feuille_absente",
            message=f"La feuille « {sheet} » est absente du classeur "
                    f"(feuilles : {', '.join(workbook.sheet_names)}).",
            conseil=f"Indiquez le nom de la feuille sous « feuille » dans "
                    f"pipelines/{adapter.name}.yaml.")]
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header_index = 0
    if adapter.entete_contient:
        found = [i for i, row in enumerate(rows[:30])
                 if adapter.entete_contient in {normalise_header(c) for c in row}]
        if not found:
            return pd.DataFrame(), [Probleme(
                fichier=display_name, feuille=sheet, regle="source.entete_introuvable",
                attendu=adapter.entete_contient,
                message=f"Aucune ligne d'en-tête contenant « {adapter.entete_contient} » dans "
                        "les 30 premières lignes.")]
        header_index = found[0]
    if not rows:
        return pd.DataFrame(), [Probleme(fichier=display_name, feuille=sheet,
                                         regle="source.fichier_vide",
                                         message="La feuille est vide.")]
    header = [normalise_header(c) for c in rows[header_index]]
    body = [[_cell_text(c) for c in row] for row in rows[header_index + 1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype("string")
    frame = drop_personal(adapter, frame.loc[:, [bool(h) for h in header]])
    out, problems = map_columns(adapter, frame, millesime, display_name,
                                first_line=header_index + 2)
    return out, [_with_sheet(p, sheet) for p in problems]


MAX_UNZIPPED = 512 * 1024 * 1024
MAX_RATIO = 200


def _unsafe_workbook(path: Path) -> str | None:
    """Why a workbook must not be parsed (encrypted, macros, zip bomb), or None."""
    with path.open("rb") as handle:
        if handle.read(len(CFB_SIGNATURE)) == CFB_SIGNATURE:
            return "fichier chiffré ou ancien format Excel (.xls), enregistrez-le en .xlsx"
    if not zipfile.is_zipfile(path):
        return None  # not a zip: calamine reports it
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if any(e.filename.lower().endswith("vbaproject.bin") for e in entries):
            return "il contient des macros"
        unzipped = sum(e.file_size for e in entries)
        packed = sum(e.compress_size for e in entries) or 1
        if unzipped > MAX_UNZIPPED or unzipped / packed > MAX_RATIO or len(entries) > 10_000:
            return "archive anormalement volumineuse une fois décompressée"
    return None


def _with_sheet(probleme: Probleme, sheet: str) -> Probleme:
    return replace(probleme, feuille=sheet)


def _cell_text(value: Any) -> str:
    """A workbook cell as text: integral floats without ``.0``, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_json_source(adapter: Adapter, path: Path, millesime: int,
                     display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read a JSON document: the list of records under ``enregistrements`` (or the root)."""
    try:
        data = json.loads(open_text(path, adapter.encodage))
    except (UnicodeDecodeError, TooLarge, OSError, EOFError, zlib.error) as exc:
        return pd.DataFrame(), unreadable(exc, adapter, display_name)
    except RecursionError:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, regle="source.json_invalide",
            message="Le fichier JSON est refusé : ses listes ou objets sont imbriqués à une "
                    "profondeur démesurée.",
            conseil="Téléchargez le fichier à nouveau depuis l'API des emplois de l'inclusion.")]
    except json.JSONDecodeError as exc:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, cellule=f"ligne {exc.lineno}", regle="source.json_invalide",
            message=f"Le fichier JSON est invalide ligne {exc.lineno} ({exc.msg}).")]
    records = data.get(adapter.enregistrements) if adapter.enregistrements and \
        isinstance(data, dict) else data
    if not isinstance(records, list):
        return pd.DataFrame(), [Probleme(
            fichier=display_name, regle="source.json_invalide",
            attendu=adapter.enregistrements or "liste",
            message="Le fichier JSON ne contient pas de liste d'enregistrements.")]
    flat = [{normalise_header(k): _cell_text(v) for k, v in r.items()
             if not isinstance(v, list | dict)} for r in records if isinstance(r, dict)]
    frame = pd.DataFrame(flat, dtype=object).astype("string").fillna("")
    frame = drop_personal(adapter, frame)
    return map_columns(adapter, frame, millesime, display_name, first_line=1)


def read_csv_source(adapter: Adapter, path: Path, millesime: int,
                    display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one CSV file of the adapter into the table's columns (text), with problems."""
    try:
        frame = pd.read_csv(io.StringIO(open_text(path, adapter.encodage)),
                            sep=adapter.separateur, dtype=str, keep_default_na=False,
                            engine="c")
    except (UnicodeDecodeError, TooLarge, OSError, EOFError, zlib.error) as exc:
        return pd.DataFrame(), unreadable(exc, adapter, display_name)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return pd.DataFrame(), [_csv_problem(exc, display_name)]
    frame.columns = [normalise_header(c) for c in frame.columns]
    frame = drop_personal(adapter, frame)
    return map_columns(adapter, frame, millesime, display_name, first_line=2)


_CSV_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _csv_problem(exc: Exception, display_name: str) -> Probleme:
    """A pandas CSV error in French, with its line when pandas gives one."""
    found = _CSV_FIELDS.search(str(exc))
    if found:
        expected, line, seen = found.groups()
        return Probleme(fichier=display_name, cellule=f"ligne {line}", regle="source.csv_illisible",
                        valeur=seen, attendu=expected,
                        message=f"Le fichier CSV ne peut pas être lu : la ligne {line} a {seen} "
                                f"champs au lieu de {expected}.",
                        conseil="Vérifiez le séparateur et les guillemets de cette ligne.")
    detail = "fichier vide" if isinstance(exc, pd.errors.EmptyDataError) \
        else "structure CSV invalide"
    return Probleme(fichier=display_name, regle="source.csv_illisible",
                    message=f"Le fichier CSV ne peut pas être lu ({detail}).")


BY_NAME = {"csv": read_csv_source, "xlsx": read_xlsx_source, "json": read_json_source,
           "fluxiae": read_fluxiae_source, "long": read_long_source}
