"""The before/after table of a what-if scenario as CSV and xlsx, and as terminal cells (pure).

``reports/<millésime>/scenarios/<nom du fichier>.csv`` (``;``, decimal comma, UTF-8 with BOM) and
``.xlsx`` (a sheet « Avant-après » with filters and number formats, a sheet « Hypothèses »); no
text can run as a formula.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from iae_etat.common.vocabulary import LEVEL_LABELS
from iae_etat.scenario.simulate import COLUMNS, HYPOTHESE_COLUMNS, METHODE
from iae_etat.tables.formats import MISSING_SYMBOL, SECRET_SYMBOL, decimal_text, nombre
from iae_etat.tables.sheets import header_row, put, title
from iae_etat.tables.sheets import table as as_table
from iae_etat.tables.xlsx import protect_csv_text, workbook_bytes

FOLDER = "scenarios"
TITLES = {"diffusion": "Diffusion", "niveau": "Niveau", "code": "Code du territoire",
          "libelle": "Territoire", "besoin": "Code du besoin", "libelle_besoin": "Besoin",
          "effet": "Effet (direct : territoire concerné ; indirect : classe changée par la "
                   "part de l'offre)",
          "valeur_besoin": "Besoin du territoire",
          "etp_avant": "ETP conventionnés avant", "etp_apres": "ETP conventionnés après",
          "nb_siae_avant": "SIAE avant", "nb_siae_apres": "SIAE après",
          "taux_avant": "Taux d'équipement avant (ETP pour 1 000)",
          "taux_apres": "Taux d'équipement après (ETP pour 1 000)",
          "part_besoin": "Part du besoin (%)",
          "part_offre_avant": "Part de l'offre avant (%)",
          "part_offre_apres": "Part de l'offre après (%)",
          "indice_avant": "Indice de couverture avant",
          "indice_apres": "Indice de couverture après",
          "couverture_avant": "Couverture avant", "couverture_apres": "Couverture après",
          "zone_blanche_avant": "Zone blanche avant", "zone_blanche_apres": "Zone blanche après",
          "statut": "Statut"}
HYPOTHESE_TITLES = {"numero": "N°", "niveau": "Niveau", "code": "Code du territoire",
                    "libelle": "Territoire", "type_siae": "Type de SIAE",
                    "etp": "ETP conventionnés (+ ajout, − retrait)",
                    "nouvelle_structure": "Structure créée", "commentaire": "Commentaire",
                    "description": "Hypothèse"}
UNITS = {"valeur_besoin": "personnes", "nb_siae_avant": "structures",
         "nb_siae_apres": "structures", "part_besoin": "%", "part_offre_avant": "%",
         "part_offre_apres": "%", "indice_avant": "indice", "indice_apres": "indice"}
_NUMBERS = {c for c in COLUMNS if c.endswith(("_avant", "_apres")) or c in UNITS} \
    - {"couverture_avant", "couverture_apres", "zone_blanche_avant", "zone_blanche_apres"}


def to_csv(table: pd.DataFrame) -> bytes:
    """``;``, decimal comma, UTF-8 with BOM, CRLF; yes/no as « oui »/« non »."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in table[COLUMNS].to_dict("records"):
        writer.writerow([_csv_cell(name, value, protect_csv_text)
                         for name, value in record.items()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(name: str, value: object, protect) -> str:
    if name in _NUMBERS:
        return "" if pd.isna(value) else decimal_text(float(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    return "" if value is None or value is pd.NA else protect(str(value))


def to_xlsx(table: pd.DataFrame, hypotheses: pd.DataFrame, *, titre: str, fichier: str,
            millesime: int, notice: str = "") -> bytes:
    """The workbook: « Avant-après » then « Hypothèses »."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Avant-après"
    subtitle = f"Fichier {fichier}, millésime {millesime}" + (f" — {notice}" if notice else "")
    start = title(ws, f"Scénario : {titre or fichier}", subtitle)
    put(ws, start - 1, 1, METHODE)
    start += 1
    header_row(ws, start, [TITLES[c] for c in COLUMNS])
    line = start
    for record in table[COLUMNS].to_dict("records"):
        line += 1
        for column, name in enumerate(COLUMNS, start=1):
            value = record[name]
            if name in _NUMBERS and pd.isna(value):
                value = SECRET_SYMBOL if record["statut"] == "s" else MISSING_SYMBOL
            elif name == "niveau":
                value = LEVEL_LABELS[value]
            cell = put(ws, line, column, None if value is pd.NA else value, UNITS.get(name))
            if UNITS.get(name) == "indice" and isinstance(value, float):
                cell.number_format = "0.00"
    as_table(ws, start, COLUMNS, line, [10, 14, 12, 30, 10, 24, 14] + [12] * (len(COLUMNS) - 7))
    sheet = wb.create_sheet("Hypothèses")
    header_row(sheet, 1, [HYPOTHESE_TITLES[c] for c in HYPOTHESE_COLUMNS])
    row = 1
    for record in hypotheses[HYPOTHESE_COLUMNS].to_dict("records"):
        row += 1
        for column, name in enumerate(HYPOTHESE_COLUMNS, start=1):
            value = LEVEL_LABELS[record[name]] if name == "niveau" else record[name]
            put(sheet, row, column, value if value != "" else None)
    as_table(sheet, 1, HYPOTHESE_COLUMNS, row, [6, 12, 14, 30, 10, 14, 30, 30, 70])
    return workbook_bytes(wb)


def terminal_rows(table: pd.DataFrame) -> list[list[str]]:
    """The table as short French cells « avant → après », for the terminal."""
    rows = []
    for r in table.itertuples(index=False):
        secret = r.statut == "s"
        rows.append([LEVEL_LABELS[r.niveau], f"{r.libelle} ({r.code})", r.libelle_besoin,
                     _pair(r.etp_avant, r.etp_apres, 1, secret),
                     _pair(r.taux_avant, r.taux_apres, 1, secret),
                     _pair(r.indice_avant, r.indice_apres,
                           _indice_decimals(r.indice_avant, r.indice_apres,
                                            r.couverture_avant, r.couverture_apres), secret),
                     _pair_text(r.couverture_avant, r.couverture_apres, secret),
                     _pair_text(_yes(r.zone_blanche_avant), _yes(r.zone_blanche_apres), secret),
                     r.effet])
    return rows


TERMINAL_HEADERS = ["Niveau", "Territoire", "Besoin", "ETP conventionnés",
                    "Taux d'équipement", "Indice de couverture", "Couverture", "Zone blanche",
                    "Effet"]


def _indice_decimals(before: object, after: object, band_before: object,
                     band_after: object) -> int:
    """2 decimals, or up to 4 when a band changes while both indices read the same
    (« 0,5996 → 0,6004 » rather than « 0,60 → 0,60 » beside a new band)."""
    if pd.isna(before) or pd.isna(after) or band_before == band_after:
        return 2
    for decimals in (2, 3):
        if round(float(before), decimals) != round(float(after), decimals):
            return decimals
    return 4


def _number(value: object, decimals: int, secret: bool) -> str:
    if pd.isna(value):
        return SECRET_SYMBOL if secret else MISSING_SYMBOL
    return nombre(value, decimals)


def _pair(before: object, after: object, decimals: int, secret: bool) -> str:
    return f"{_number(before, decimals, secret)} → {_number(after, decimals, secret)}"


def _pair_text(before: object, after: object, secret: bool) -> str:
    empty = SECRET_SYMBOL if secret else MISSING_SYMBOL
    before = empty if before is None or pd.isna(before) else before
    after = empty if after is None or pd.isna(after) else after
    return str(before) if before == after else f"{before} → {after}"


def _yes(value: object) -> str:
    return "oui" if bool(value) else "non"
