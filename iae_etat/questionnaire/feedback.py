"""Control files sent back to the SIAE: the anomaly workbook and one annotated copy per return.

``retour_workbook`` copies a returned workbook and marks every cell a problem names: red for an
error, orange for a warning, with the message and the hint as a cell comment; problems without
a cell are listed on a first sheet « Anomalies ». An .ods return (which openpyxl cannot open)
is copied cell by cell, values only. The raw file is only read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iae_etat.common.errors import GRAVITE_ERREUR, Probleme
from iae_etat.questionnaire import layout
from iae_etat.tables.xlsx import set_cell, workbook_bytes

ANOMALIES_SHEET = "Anomalies"
FILL = {"erreur": "F8CBAD", "avertissement": "FFE699", "info": "DDEBF7"}
TITLES = {"fichier": "Fichier", "feuille": "Feuille", "cellule": "Cellule", "champ": "Champ",
          "valeur": "Valeur lue", "regle": "Règle", "attendu": "Attendu", "message": "Message",
          "conseil": "Conseil", "gravite": "Gravité"}
WIDTHS = {"fichier": 40, "feuille": 20, "cellule": 9, "champ": 22, "valeur": 18, "regle": 34,
          "attendu": 22, "message": 70, "conseil": 50, "gravite": 13}


def anomalies_xlsx(anomalies: pd.DataFrame, notice: str = "") -> bytes:
    """The controls as a workbook: one row per problem, filters on, text never a formula."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = ANOMALIES_SHEET
    _problem_table(ws, anomalies, [notice] if notice else [])
    return workbook_bytes(wb)


def _problem_table(ws, problemes: pd.DataFrame, intro: list[str]) -> None:
    """Introduction lines, then a filtered table of the problems with coloured gravités."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for r, line in enumerate(intro, start=1):
        set_cell(ws.cell(row=r, column=1), line)
        ws.cell(row=r, column=1).font = Font(bold=True)
    top = len(intro) + 1
    for col, name in enumerate(Probleme.COLUMNS, start=1):
        cell = ws.cell(row=top, column=col)
        set_cell(cell, TITLES[name])
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[name]
    rows = problemes[list(Probleme.COLUMNS)].fillna("").astype(str)
    for r, values in enumerate(rows.itertuples(index=False), start=top + 1):
        for col, value in enumerate(values, start=1):
            set_cell(ws.cell(row=r, column=col), value)
        if values[-1] in FILL:
            ws.cell(row=r, column=len(Probleme.COLUMNS)).fill = PatternFill(
                "solid", fgColor=FILL[values[-1]])
    last = get_column_letter(len(Probleme.COLUMNS))
    ws.auto_filter.ref = f"A{top}:{last}{top + max(len(rows), 1)}"
    ws.freeze_panes = ws.cell(row=top + 1, column=1)


def retour_workbook(path: Path, problemes: pd.DataFrame, notice: str = "") -> bytes:
    """A copy of the returned workbook at ``path`` with every named cell marked and commented."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    wb = _values_workbook(path) if path.suffix.lower() == ".ods" else load_workbook(path)
    problemes = problemes[list(Probleme.COLUMNS)].fillna("").astype(str)
    for row in problemes.itertuples(index=False):
        if row.feuille in wb.sheetnames and row.cellule[:1].isalpha() and \
                wb[row.feuille].sheet_state == "visible":
            cell = wb[row.feuille][row.cellule]
            cell.fill = PatternFill("solid", fgColor=FILL.get(row.gravite, FILL["info"]))
            text = f"{row.gravite.capitalize()} ({row.regle}) : {row.message}"
            if row.conseil:
                text += f"\nConseil : {row.conseil}"
            if cell.comment is not None:
                text = f"{cell.comment.text}\n\n{text}"
            comment = Comment(text, "iae-etat")
            comment.width, comment.height = 320, 140
            cell.comment = comment
    sheet = wb.create_sheet(ANOMALIES_SHEET, 0)
    errors = int((problemes["gravite"] == GRAVITE_ERREUR).sum())
    intro = [f"{len(problemes)} anomalie(s), dont {errors} erreur(s) : les cellules concernées "
             "sont colorées (rouge : erreur, orange : à vérifier) et commentées dans les "
             "onglets. Corrigez-les puis renvoyez ce classeur."]
    _problem_table(sheet, problemes, [notice, *intro] if notice else intro)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == ANOMALIES_SHEET
    return workbook_bytes(wb)


def _values_workbook(path: Path):
    """An openpyxl workbook holding the values of every sheet of ``path`` (read by calamine)."""
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    source = CalamineWorkbook.from_path(str(path))
    wb = Workbook()
    wb.remove(wb.active)
    for name in source.sheet_names:
        ws = wb.create_sheet(name)
        for r, row in enumerate(source.get_sheet_by_name(name).to_python(), start=1):
            for c, value in enumerate(row, start=1):
                if value is not None and value != "":
                    set_cell(ws.cell(row=r, column=c), value)
        if name in (layout.STAMP_SHEET, layout.LISTS_SHEET):
            ws.sheet_state = "hidden"
    return wb
