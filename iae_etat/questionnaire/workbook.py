"""Write a questionnaire workbook for one SIAE (prefilled, protected, validated)."""

from __future__ import annotations

from typing import Any

from iae_etat.questionnaire import layout
from iae_etat.tables.contracts import Contract, Field
from iae_etat.tables.xlsx import set_cell, workbook_bytes
from iae_etat.territoires.codes import normalise_siret

_INSTRUCTIONS = [
    "Questionnaire annuel de l'insertion par l'activité économique — millésime {millesime}",
    "",
    "Ce questionnaire est adossé au bilan de votre annexe financière. Il sert à l'état des lieux "
    "de l'offre d'insertion du département, présenté au CDIAE. Ce n'est pas un audit.",
    "",
    "Comment le remplir (moins d'une heure, avec le bilan de l'annexe financière sous la main) :",
    "1. Répondez dans la colonne « Réponse » (cases jaunes) de chaque onglet ; une bulle d'aide "
    "s'affiche sur chaque case.",
    "2. Nombres : sans unité ni symbole ; les décimales avec une virgule (12,5).",
    "3. Laissez vide une donnée que vous ne connaissez pas (ne mettez pas 0 par défaut).",
    "4. Les « dont » sont inclus dans le total de l'année.",
    "5. Ne renommez pas les onglets et ne modifiez pas la colonne « Code ».",
    "6. Renvoyez le fichier au format .xlsx ou .ods, sans le protéger par un mot de passe.",
    "7. Onglet « Résidence » : répartissez les salariés de l'année selon l'EPCI où ils habitent.",
    "8. Quand elle existe, la dernière colonne rappelle votre réponse de l'an dernier.",
    "",
    "Vos réponses ne contiennent aucune donnée nominative : ne saisissez aucun nom de salarié.",
]
_FILL_ANSWER = "FFF2CC"
_FILL_HEADER = "DDEBF7"
_FILL_CODE = "F2F2F2"


def build_workbook(contract: Contract, millesime: int, answers: dict[str, Any],
                   fictitious: bool = False, residence_contract: Contract | None = None,
                   epcis: list[tuple[str, str]] | None = None,
                   residence: dict[str, int] | None = None,
                   previous: dict[str, Any] | None = None,
                   exemple: dict[str, str] | None = None) -> bytes:
    """The xlsx bytes of the questionnaire of one SIAE, prefilled with ``answers``
    (``questionnaire_book`` gives the same workbook as an openpyxl object)."""
    return workbook_bytes(questionnaire_book(contract, millesime, answers, fictitious,
                                             residence_contract, epcis, residence, previous,
                                             exemple))


def questionnaire_book(contract: Contract, millesime: int, answers: dict[str, Any],
                       fictitious: bool = False, residence_contract: Contract | None = None,
                       epcis: list[tuple[str, str]] | None = None,
                       residence: dict[str, int] | None = None,
                       previous: dict[str, Any] | None = None,
                       exemple: dict[str, str] | None = None) -> Any:
    """The openpyxl workbook of the questionnaire of one SIAE, prefilled with ``answers``.

    ``epcis`` (code, name) adds the « Résidence » sheet described by ``residence_contract``,
    prefilled with ``residence`` (code EPCI → salariés); ``previous`` (last year's answers) fills
    a read-only reminder column; ``exemple`` the examples of the help texts
    (``layout.commune_example``).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    intro = wb.active
    intro.title = layout.INSTRUCTIONS_SHEET
    lines = list(_INSTRUCTIONS)
    if fictitious:
        lines.insert(1, "Données fictives de démonstration.")
    for i, line in enumerate(lines, start=1):
        set_cell(intro.cell(row=i, column=1), line.format(millesime=millesime))
    intro["A1"].font = Font(bold=True, size=14)
    intro.column_dimensions["A"].width = 110
    intro.protection.sheet = True

    bold = Font(bold=True)
    by_sheet: dict[str, Any] = {}
    residence_f = layout.residence_field(residence_contract) \
        if residence_contract is not None and epcis else None
    names = layout.sheets(contract)
    if residence_f is not None:
        names.append(residence_f.extra["questionnaire"]["feuille"])
    headers = list(layout.HEADERS)
    if previous:
        headers.append(f"Réponse {millesime - 1}")
    for name in names:
        ws = wb.create_sheet(name)
        set_cell(ws.cell(row=1, column=1), f"{name} — millésime {millesime}")
        ws["A1"].font = Font(bold=True, size=13)
        for col, header in enumerate(headers, start=1):
            cell = ws.cell(row=layout.HEADER_ROW, column=col)
            set_cell(cell, header)
            cell.font = bold
            cell.fill = PatternFill("solid", fgColor=_FILL_HEADER)
        for letter, width in zip("ABCDEF", (24, 60, 22, 12, 70, 16), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = ws.cell(row=layout.FIRST_ROW, column=1)
        ws.protection.sheet = True
        by_sheet[name] = ws
    lists = wb.create_sheet(layout.LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_col = 1

    for place in layout.placements(contract):
        ws = by_sheet[place.sheet]
        f = place.field
        row = place.row
        set_cell(ws.cell(row=row, column=layout.CODE_COL), f.name)
        ws.cell(row=row, column=layout.CODE_COL).fill = PatternFill("solid", fgColor=_FILL_CODE)
        set_cell(ws.cell(row=row, column=layout.LABEL_COL), f.title)
        set_cell(ws.cell(row=row, column=layout.UNIT_COL), f.unit)
        set_cell(ws.cell(row=row, column=layout.HELP_COL), layout.help_text(f, exemple))
        ws.cell(row=row, column=layout.HELP_COL).alignment = Alignment(wrap_text=True)
        _answer_cell(ws, row, f, answers.get(f.name), (previous or {}).get(f.name),
                     PatternFill, Protection)
        validation = _validation(f, DataValidation, lists, list_col, exemple)
        if "enum" in f.constraints:
            list_col += 1
        if validation is not None:
            ws.add_data_validation(validation)
            validation.add(ws.cell(row=row, column=layout.ANSWER_COL))
    if residence_f is not None:
        ws = by_sheet[residence_f.extra["questionnaire"]["feuille"]]
        validation = _validation(residence_f, DataValidation, lists, list_col, exemple)
        ws.add_data_validation(validation)
        for code, label, row in layout.residence_rows(epcis):
            set_cell(ws.cell(row=row, column=layout.CODE_COL), layout.residence_code(code))
            ws.cell(row=row, column=layout.CODE_COL).fill = PatternFill("solid",
                                                                        fgColor=_FILL_CODE)
            set_cell(ws.cell(row=row, column=layout.LABEL_COL), label)
            set_cell(ws.cell(row=row, column=layout.UNIT_COL), residence_f.unit)
            set_cell(ws.cell(row=row, column=layout.HELP_COL),
                     layout.help_text(residence_f, exemple))
            ws.cell(row=row, column=layout.HELP_COL).alignment = Alignment(wrap_text=True)
            _answer_cell(ws, row, residence_f, (residence or {}).get(code), None,
                         PatternFill, Protection)
            validation.add(ws.cell(row=row, column=layout.ANSWER_COL))

    stamp = wb.create_sheet(layout.STAMP_SHEET)
    stamp.sheet_state = "veryHidden"
    values = {"version_contrat": contract.version, "millesime": str(millesime),
              "siret": normalise_siret(answers.get("siret")) or "",
              "type_siae": answers.get("type_siae", "")}
    for i, key in enumerate(layout.STAMP_KEYS, start=1):
        set_cell(stamp.cell(row=i, column=1), key)
        set_cell(stamp.cell(row=i, column=2), str(values[key]))
    wb.active = 0
    return wb


def _answer_cell(ws: Any, row: int, f: Field, value: Any, previous: Any, PatternFill: Any,
                 Protection: Any) -> None:
    """The unlocked, coloured answer cell of a row, and last year's answer beside it."""
    answer = ws.cell(row=row, column=layout.ANSWER_COL)
    if value is not None:
        set_cell(answer, value)
    answer.fill = PatternFill("solid", fgColor=_FILL_ANSWER)
    answer.protection = Protection(locked=False)
    if f.type == "number":
        answer.number_format = "#,##0.00"
    elif f.type == "integer":
        answer.number_format = "#,##0"
    if previous is not None:
        reminder = ws.cell(row=row, column=layout.PREVIOUS_COL)
        set_cell(reminder, previous)
        reminder.number_format = answer.number_format


def _validation(f: Field, DataValidation: Any, lists: Any, list_col: int,
                exemple: dict[str, str] | None = None) -> Any:
    """The data validation of a field's answer cell, or None for free text."""
    prompt = layout.help_text(f, exemple)[:255]
    common = {"showInputMessage": True, "promptTitle": f.title[:32], "prompt": prompt,
              "showErrorMessage": True, "errorTitle": "Valeur refusée"}
    if "enum" in f.constraints:
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(list_col)
        for i, choice in enumerate(f.constraints["enum"], start=1):
            set_cell(lists.cell(row=i, column=list_col), str(choice))
        ref = f"{layout.LISTS_SHEET}!${letter}$1:${letter}${len(f.constraints['enum'])}"
        return DataValidation(type="list", formula1=ref, allow_blank=True,
                              error="Choisissez une valeur de la liste.", **common)
    minimum = f.constraints.get("minimum")
    if f.type == "integer":
        return DataValidation(type="whole", operator="greaterThanOrEqual",
                              formula1=str(minimum or 0), allow_blank=True,
                              error="Un nombre entier positif ou nul est attendu.", **common)
    if f.type == "number":
        return DataValidation(type="decimal", operator="greaterThanOrEqual",
                              formula1=str(minimum or 0), allow_blank=True,
                              error="Un nombre positif ou nul est attendu.", **common)
    return None
