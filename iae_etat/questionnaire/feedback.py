"""Control files: the anomaly workbook of the consultant and one annotated workbook per SIAE.

``retour_workbook`` never reopens the sender's file: it writes the SIAE's questionnaire afresh
(``workbook.questionnaire_book``) with the answers the reader read (``core_reponses_lues``), so
the copy carries values only (no formula, link or macro of the sender) and no mark of an earlier
round; it costs what a questionnaire costs, whatever the size of the return. Only what the SIAE
can act on is shown: each such problem colours its answer cell (red: to correct, orange: to
check) with a comment in plain French, and a first sheet « À corriger » lists them with where
and how. Repairs made without ambiguity, file-level remarks for the consultant and rule codes
stay out of it (they are in ``anomalies.xlsx``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, GRAVITE_ERREUR, Probleme
from iae_etat.questionnaire import layout
from iae_etat.questionnaire.workbook import questionnaire_book
from iae_etat.tables.contracts import Contract
from iae_etat.tables.xlsx import set_cell, workbook_bytes

ANOMALIES_SHEET = "Anomalies"
CORRECTIONS_SHEET = "À corriger"
# Problems the SIAE cannot act on: repairs made without ambiguity (an answer that follows the
# instructions, such as « 18,5 » or « 412 500 », is no fault of the SIAE), remarks on the file
# itself (the rebuilt workbook has its original sheets, rows, name and stamp again) and the
# consultant's decisions. They stay in anomalies.xlsx.
NOT_FOR_SIAE = frozenset({
    "questionnaire.espaces_retires", "questionnaire.virgule_decimale",
    "questionnaire.siret_complete", "questionnaire.code_complete",
    "questionnaire.fichier_renomme", "questionnaire.tampon_absent",
    "questionnaire.feuille_renommee", "questionnaire.lignes_deplacees",
    "questionnaire.question_absente", "questionnaire.doublon", "questionnaire.siae_inconnue",
    "questionnaire.millesime_errone", "questionnaire.version_contrat",
})
MARKS = {GRAVITE_ERREUR: "À corriger", GRAVITE_AVERTISSEMENT: "À vérifier"}
SIAE_TITLES = ("Onglet", "Case", "Question", "Votre réponse", "À faire", "Ce qui ne va pas",
               "Comment corriger")
SIAE_WIDTHS = (18, 8, 44, 16, 12, 70, 60)
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


def for_siae(problemes: pd.DataFrame) -> pd.DataFrame:
    """The problems of a return the SIAE can act on."""
    return problemes[problemes["gravite"].isin(list(MARKS))
                     & ~problemes["regle"].isin(list(NOT_FOR_SIAE))]


def retour_workbook(contract: Contract, millesime: int, lues: dict[str, Any],
                    problemes: pd.DataFrame, *, residence_contract: Contract | None = None,
                    epcis: list[tuple[str, str]] | None = None, notice: str = "",
                    echeance: str = "", exemple: dict[str, str] | None = None) -> bytes | None:
    """The questionnaire of one SIAE rebuilt from ``lues`` (code → answer as read) with what it
    must correct marked, or None when nothing in ``problemes`` is for the SIAE to act on.

    ``echeance`` is the deadline of the campaign shown on the first sheet; ``exemple`` the
    commune example of the help texts (``layout.commune_example``)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    where = answer_cells(contract, residence_contract, epcis)
    problemes = for_siae(problemes[list(Probleme.COLUMNS)].fillna("").astype(str))
    # a cell of a sheet the questionnaire does not have (the sender's own) is not in the copy
    problemes = problemes[problemes["champ"].isin(list(where)) | (problemes["cellule"] == "")]
    if problemes.empty:
        return None
    # errors first, each in the order of the questionnaire
    order = {champ: i for i, champ in enumerate(where)}
    problemes = problemes.assign(_ordre=problemes["champ"].map(order).fillna(-1)) \
        .sort_values(["gravite", "_ordre"], ascending=[False, True], kind="stable")
    answers = {k: v for k, v in lues.items() if not k.startswith(layout.RESIDENCE_PREFIX)}
    residence = {k.removeprefix(layout.RESIDENCE_PREFIX): v for k, v in lues.items()
                 if k.startswith(layout.RESIDENCE_PREFIX)}
    # an answer set aside at reading is shown as the SIAE typed it, so that it finds it again
    for row in problemes[problemes["champ"] != ""].itertuples(index=False):
        target = residence if row.champ.startswith(layout.RESIDENCE_PREFIX) else answers
        key = row.champ.removeprefix(layout.RESIDENCE_PREFIX) \
            if target is residence else row.champ
        if key not in target and row.valeur and row.gravite == GRAVITE_ERREUR:
            target[key] = row.valeur
    # a notice is written only on a fictional project's outputs
    wb = questionnaire_book(contract, millesime, answers, bool(notice), residence_contract,
                            epcis, residence, exemple=exemple)
    listed = []
    for row in problemes.itertuples(index=False):
        sheet, cell = where.get(row.champ, ("", ""))
        mark = MARKS[row.gravite]
        text = f"{mark} : {row.message}" + (f"\nComment : {row.conseil}" if row.conseil else "")
        if sheet:
            target = wb[sheet][cell]
            target.fill = PatternFill("solid", fgColor=FILL[row.gravite])
            if target.comment is not None:
                text = f"{target.comment.text}\n\n{text}"
            comment = Comment(text, "iae-etat")
            comment.width, comment.height = 320, 140
            target.comment = comment
        question = next((f.title for f in contract.fields if f.name == row.champ), "")
        shown = answers.get(row.champ, "") if sheet else row.valeur
        listed.append((sheet or row.feuille, cell, question, shown, mark, row.message,
                       row.conseil))
    _corrections_sheet(wb, millesime, answers, listed, notice, echeance)
    return workbook_bytes(wb)


def project_layout(territoires: pd.DataFrame, departement: str
                   ) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The project's EPCI (code, name) for « Résidence » and the examples of the help texts,
    from its communes (``core_territoires`` or ``referentiel.territoires``) and its first
    département: what ``iae-etat questionnaire`` puts in the workbooks it sends."""
    epcis = sorted(set(territoires[["code_epci", "nom_epci"]].dropna().itertuples(
        index=False, name=None)))
    first = territoires[territoires["code_departement"] == departement]
    exemple = layout.commune_example(list(zip(
        first["code_commune"], first["nom_commune"],
        first["population"].fillna(0).astype(int), strict=True)))
    return epcis, exemple


def answer_cells(contract: Contract, residence_contract: Contract | None,
                 epcis: list[tuple[str, str]] | None) -> dict[str, tuple[str, str]]:
    """Code → (sheet, answer cell) in a generated questionnaire."""
    col = chr(ord("A") + layout.ANSWER_COL - 1)
    out = {p.field.name: (p.sheet, f"{col}{p.row}") for p in layout.placements(contract)}
    if residence_contract is not None and epcis:
        sheet = layout.residence_field(residence_contract).extra["questionnaire"]["feuille"]
        for code, _label, row in layout.residence_rows(epcis):
            out[layout.residence_code(code)] = (sheet, f"{col}{row}")
    return out


def _corrections_sheet(wb, millesime: int, answers: dict[str, Any], listed: list[tuple],
                       notice: str, echeance: str) -> None:
    """The first sheet: what to correct, where and how, in plain French."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(CORRECTIONS_SHEET, 0)
    errors = sum(1 for item in listed if item[4] == MARKS[GRAVITE_ERREUR])
    checks = len(listed) - errors
    who = " — ".join(str(v) for v in (answers.get("denomination"), answers.get("siret")) if v)
    when = f" avant le {echeance}" if echeance else ""
    lines = [
        f"Votre questionnaire de l'insertion par l'activité économique {millesime}"
        + (f" ({who})" if who else ""),
        f"Merci pour votre réponse. {errors} réponse(s) à corriger et {checks} à vérifier avant "
        "qu'elle puisse être prise en compte en entier :",
        "1. Corrigez les cases colorées en rouge (« À corriger ») et vérifiez celles en orange "
        "(« À vérifier ») : chaque case porte une bulle qui explique pourquoi.",
        "2. Une réponse vérifiée et juste peut rester telle quelle ; laissez vide ce que vous ne "
        "savez pas.",
        f"3. Enregistrez ce classeur (.xlsx ou .ods) et renvoyez-le{when}, sans le renommer ni "
        "le recopier dans un autre fichier.",
    ]
    if notice:
        lines.insert(1, notice)
    for r, line in enumerate(lines, start=1):
        set_cell(ws.cell(row=r, column=1), line)
    ws["A1"].font = Font(bold=True, size=14)
    top = len(lines) + 2
    for col, (title, width) in enumerate(zip(SIAE_TITLES, SIAE_WIDTHS, strict=True), start=1):
        cell = ws.cell(row=top, column=col)
        set_cell(cell, title)
        cell.font = Font(bold=True)
        ws.column_dimensions[chr(ord("A") + col - 1)].width = width
    fills = {mark: FILL[gravite] for gravite, mark in MARKS.items()}
    for r, values in enumerate(listed, start=top + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col)
            set_cell(cell, value)
            cell.alignment = Alignment(wrap_text=col >= 6, vertical="top")
        ws.cell(row=r, column=5).fill = PatternFill("solid", fgColor=fills[values[4]])
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    ws.protection.sheet = True
    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == CORRECTIONS_SHEET
