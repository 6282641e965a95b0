"""Read one returned questionnaire workbook (.xlsx or .ods) with python-calamine.

The file is first checked by :mod:`iae_etat.tables.safety` (nothing unsafe reaches the
parser). Answers are found by their field code in column A, on whatever sheet they stand, so a
renamed sheet or an added row loses nothing (both are reported as warnings). Each cell is parsed
by the type of its field: what can be repaired without ambiguity is repaired and reported as a
warning, the rest is an error.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.questionnaire import layout
from iae_etat.tables.contracts import Contract, Field
from iae_etat.tables.nombres import is_spreadsheet_error, number_problem
from iae_etat.tables.safety import inspect_file
from iae_etat.territoires.codes import COMMUNE_PATTERN, normalise_commune, normalise_siret

_GROUPED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_LIST_SEPARATORS = re.compile(r"[;,\s]+")
_NO_ANSWERS = (layout.INSTRUCTIONS_SHEET, layout.LISTS_SHEET)  # never parsed


@dataclass
class Retour:
    """What was read from one returned workbook."""

    fichier: str
    answers: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    stamp: dict[str, str] = field(default_factory=dict)
    residence: dict[str, int] = field(default_factory=dict)
    stamp_cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    enregistre_le: str = ""
    problemes: list[Probleme] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(p.bloquant and not p.cellule for p in self.problemes)


def read_return(path: Path, contract: Contract, display_name: str,
                residence_contract: Contract | None = None) -> Retour:
    """Read ``path``; problems name ``display_name``, the sheet and the cell."""
    from python_calamine import CalamineWorkbook

    retour = Retour(fichier=display_name)
    inspection = inspect_file(path, display_name)
    retour.problemes.extend(inspection.problemes)
    if not inspection.sure:
        return retour
    retour.enregistre_le = inspection.enregistre_le
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(inspection.data))
        sheets = {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                  for name in workbook.sheet_names if name not in _NO_ANSWERS}
    except Exception as exc:  # calamine raises several error types for damaged files
        retour.problemes.append(Probleme(
            fichier=display_name, regle="questionnaire.fichier_illisible",
            message=f"Le classeur ne peut pas être lu ({type(exc).__name__}).",
            conseil="Ouvrez-le dans un tableur, enregistrez-le au format .xlsx et renvoyez-le."))
        return retour
    retour.stamp, retour.stamp_cells = _find_stamp(sheets)
    if not retour.stamp:
        retour.problemes.append(Probleme(
            fichier=display_name, regle="questionnaire.tampon_absent",
            gravite=GRAVITE_AVERTISSEMENT,
            message="Le tampon caché du classeur a disparu (classeur recopié ou réenregistré) : "
                    "la structure est identifiée par l'onglet Identité.",
            conseil="Utilisez de préférence le classeur envoyé, sans le recopier."))
    _read_answers(sheets, contract, residence_contract, retour)
    for sheet, cell, shown in sorted(set(inspection.valeurs_erreur)):
        champ = next((code for code, where in retour.cells.items() if where == (sheet, cell)),
                     "")
        if not champ:
            continue  # an error outside the answers (a sender's own calculation) loses nothing
        retour.answers.pop(champ, None)
        retour.problemes.append(Probleme(
            fichier=display_name, feuille=sheet, cellule=cell, champ=champ, valeur=shown,
            regle="questionnaire.valeur_erreur", attendu="nombre",
            message=f"La cellule {cell} affiche l'erreur « {shown} » (formule en échec) : la "
                    "réponse est écartée.",
            conseil="Corrigez la formule ou saisissez le nombre lui-même."))
    for sheet, cell in sorted(set(inspection.formules_sans_valeur)):
        champ = next((code for code, where in retour.cells.items() if where == (sheet, cell)),
                     "")
        retour.answers.pop(champ, None)
        retour.problemes.append(Probleme(
            fichier=display_name, feuille=sheet, cellule=cell, champ=champ,
            regle="questionnaire.formule_sans_valeur",
            message=f"La cellule {cell} contient une formule dont le résultat n'a pas été "
                    "enregistré : sa valeur est inconnue.",
            conseil="Remplacez la formule par sa valeur (copier, puis collage spécial valeurs)."))
    return retour


def _read_answers(sheets: dict[str, list[list[Any]]], contract: Contract,
                  residence_contract: Contract | None, retour: Retour) -> None:
    """Find every answer by its code, parse it, and report moved rows and renamed sheets."""
    display_name = retour.fichier
    fields_by_code = {f.name: f for f in contract.fields}
    expected = {p.field.name: p.row for p in layout.placements(contract)}
    residence_f = layout.residence_field(residence_contract) if residence_contract else None
    expected_sheets = set(layout.sheets(contract))
    if residence_f is not None:
        expected_sheets.add(residence_f.extra["questionnaire"]["feuille"])
    moved: dict[str, list[str]] = {}
    renamed: dict[str, str] = {}
    for sheet, rows in sheets.items():
        if sheet == layout.STAMP_SHEET:
            continue
        for index, row in enumerate(rows):
            if not row or row[0] is None or row[0] == "":
                continue
            code = _code(row[0])
            f = fields_by_code.get(code)
            if f is None and residence_f is not None and code.startswith(
                    layout.RESIDENCE_PREFIX):
                f = residence_f
            if f is None:
                continue
            raw = row[layout.ANSWER_COL - 1] if len(row) >= layout.ANSWER_COL else ""
            cell = f"C{index + 1}"
            if code in retour.cells:
                _twice(retour, code, f, raw, sheet, cell, residence_f)
                continue
            retour.cells[code] = (sheet, cell)
            if sheet not in expected_sheets:
                renamed.setdefault(sheet, cell)
            if code in expected and expected[code] != index + 1:
                moved.setdefault(sheet, []).append(cell)
            value, problems = parse_cell(raw, f, display_name, sheet, cell, champ=code)
            retour.problemes.extend(problems)
            if value is None:
                continue
            if f is residence_f:
                retour.residence[code.removeprefix(layout.RESIDENCE_PREFIX)] = value
            else:
                retour.answers[code] = value
    for sheet, cell in sorted(renamed.items()):
        retour.problemes.append(Probleme(
            fichier=display_name, feuille=sheet, cellule=cell,
            regle="questionnaire.feuille_renommee", gravite=GRAVITE_AVERTISSEMENT,
            message=f"L'onglet « {sheet} » ne porte plus son nom d'origine : ses réponses ont été "
                    "retrouvées par leur code (colonne A).",
            conseil="Ne renommez pas les onglets du questionnaire."))
    for sheet, cells in sorted(moved.items()):
        retour.problemes.append(Probleme(
            fichier=display_name, feuille=sheet, cellule=cells[0],
            regle="questionnaire.lignes_deplacees", gravite=GRAVITE_AVERTISSEMENT,
            valeur=f"{len(cells)} réponse(s)",
            message=f"Onglet « {sheet} » : {len(cells)} réponse(s) ne sont plus à leur ligne "
                    f"d'origine (lignes ajoutées ou supprimées, à partir de {cells[0]}) ; elles "
                    "ont été retrouvées par leur code (colonne A).",
            conseil="N'ajoutez ni ne supprimez de lignes dans le questionnaire."))
    for place in layout.placements(contract):
        if place.field.name not in retour.cells:
            retour.problemes.append(Probleme(
                fichier=display_name, feuille=place.sheet, champ=place.field.name,
                regle="questionnaire.question_absente", gravite=GRAVITE_AVERTISSEMENT,
                message=f"La question « {place.field.title} » est introuvable dans le classeur.",
                conseil="La ligne a peut-être été supprimée : repartez du classeur envoyé."))


def _twice(retour: Retour, code: str, f: Field, raw: Any, sheet: str, cell: str,
           residence_f: Field | None) -> None:
    """A question code found a second time: the same answer is harmless; a different one
    makes both doubtful, so the answer is set aside and the two cells are named."""
    value, _ = parse_cell(raw, f, retour.fichier, sheet, cell, champ=code)
    kept = retour.residence if f is residence_f else retour.answers
    key = code.removeprefix(layout.RESIDENCE_PREFIX) if f is residence_f else code
    first = kept.get(key)
    first_sheet, first_cell = retour.cells[code]
    if value is None or value == first or (first_sheet, first_cell) == (sheet, cell):
        return
    kept.pop(key, None)
    retour.problemes.append(Probleme(
        fichier=retour.fichier, feuille=sheet, cellule=cell, champ=code,
        valeur=f"{_shown(first) if first is not None else '(vide)'} ; {_shown(value)}",
        regle="questionnaire.code_en_double",
        attendu=f"une seule réponse (première en {first_sheet}!{first_cell})",
        message=f"La question « {f.title} » ({code}) figure deux fois avec deux réponses "
                f"différentes ({first_sheet}!{first_cell} et {sheet}!{cell}) : impossible de "
                "savoir laquelle retenir, la réponse est écartée.",
        conseil="Supprimez la ligne recopiée et gardez une seule réponse par question."))


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_stamp(sheets: dict[str, list[list[Any]]]) -> tuple[dict[str, str],
                                                            dict[str, tuple[str, str]]]:
    """The stamp and the cell of each value, from its sheet or from any sheet holding its keys."""
    ordered = sorted(sheets, key=lambda name: name != layout.STAMP_SHEET)
    for name in ordered:
        stamp: dict[str, str] = {}
        cells: dict[str, tuple[str, str]] = {}
        for index, row in enumerate(sheets[name]):
            if len(row) >= 2 and str(row[0]).strip() in layout.STAMP_KEYS:
                key = str(row[0]).strip()
                stamp[key] = _code(row[1])
                cells[key] = (name, f"B{index + 1}")
        if "version_contrat" in stamp:
            return stamp, cells
    return {}, {}


def parse_cell(raw: Any, f: Field, fichier: str, sheet: str, cell: str,
               champ: str = "") -> tuple[Any, list[Probleme]]:
    """The value of one answer cell for field ``f``, and the problems it raised."""
    def problem(regle: str, message: str, conseil: str = "", gravite: str = "",
                attendu: str = "") -> Probleme:
        return Probleme(fichier=fichier, feuille=sheet, cellule=cell, champ=champ or f.name,
                        valeur=_shown(raw), regle=regle, attendu=attendu, message=message,
                        conseil=conseil, gravite=gravite)

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, []
    if f.type in ("integer", "number"):
        return _parse_number(raw, f, problem)
    text = str(raw).strip() if not isinstance(raw, float) or not raw.is_integer() \
        else str(int(raw))
    pattern = f.constraints.get("pattern", "")
    if f.name == "siret":
        siret = normalise_siret(raw)
        if siret is None:
            return None, [problem("questionnaire.siret_invalide",
                                  f"{f.title} : « {_shown(raw)} » n'est pas un SIRET "
                                  "de 14 chiffres.",
                                  attendu="14 chiffres")]
        if siret != text:
            return siret, [problem("questionnaire.siret_complete",
                                   f"{f.title} : « {_shown(raw)} » lu comme le SIRET {siret} "
                                   "(zéro initial perdu ou espaces retirés).",
                                   "Saisissez le SIRET comme du texte, avec ses 14 chiffres.",
                                   gravite=GRAVITE_AVERTISSEMENT, attendu=siret)]
        return siret, []
    if pattern == COMMUNE_PATTERN.pattern:
        code = normalise_commune(raw)
        if code is None:
            return None, [problem("questionnaire.code_commune_invalide",
                                  f"{f.title} : « {_shown(raw)} » n'est pas un code INSEE "
                                  "de commune.",
                                  "Saisissez le code INSEE à 5 caractères, pas le code postal.",
                                  attendu="5 caractères, ex. 26362")]
        if code != text:
            return code, [problem("questionnaire.code_complete",
                                  f"{f.title} : « {_shown(raw)} » lu comme le code {code}.",
                                  gravite=GRAVITE_AVERTISSEMENT, attendu=code)]
        return code, []
    if f.extra.get("questionnaire", {}).get("format") == "codes_communes":
        return _parse_commune_list(text, f, problem)
    if "enum" in f.constraints:
        for choice in f.constraints["enum"]:
            if text.casefold() == str(choice).casefold():
                return choice, []
        return None, [problem("questionnaire.valeur_hors_liste",
                              f"{f.title} : « {_shown(raw)} » n'est pas dans la liste proposée.",
                              "Choisissez une valeur dans la liste déroulante.",
                              attendu=" | ".join(map(str, f.constraints["enum"])))]
    return text, []


def _parse_commune_list(text: str, f: Field, problem: Any) -> tuple[Any, list[Probleme]]:
    """Commune codes separated by « ; » (or commas, spaces): each one checked and completed."""
    parts = [p for p in _LIST_SEPARATORS.split(text) if p]
    codes = [normalise_commune(p) for p in parts]
    bad = [p for p, code in zip(parts, codes, strict=True) if code is None]
    if bad:
        return None, [problem("questionnaire.code_commune_invalide",
                              f"{f.title} : « {' ; '.join(bad)} » n'est pas un code INSEE de "
                              "commune.",
                              "Saisissez des codes INSEE à 5 caractères séparés par « ; », pas "
                              "des codes postaux.", attendu="ex. 26362 ; 26281")]
    value = " ; ".join(dict.fromkeys(codes))
    if value != " ; ".join(parts):
        return value, [problem("questionnaire.code_complete",
                               f"{f.title} : « {text} » lu comme {value}.",
                               gravite=GRAVITE_AVERTISSEMENT, attendu=value)]
    return value, []


def _parse_number(raw: Any, f: Field, problem: Any) -> tuple[Any, list[Probleme]]:
    problems: list[Probleme] = []
    if isinstance(raw, bool):
        return None, [problem("questionnaire.nombre_invalide",
                              f"{f.title} : un nombre est attendu.", attendu="nombre")]
    if is_spreadsheet_error(raw):
        return None, [problem("questionnaire.valeur_erreur",
                              f"{f.title} : la cellule affiche l'erreur « {str(raw).strip()} » "
                              "(formule en échec) : la valeur est écartée.",
                              "Corrigez la formule ou saisissez le nombre lui-même.",
                              attendu="nombre")]
    if isinstance(raw, int | float):
        number = float(raw) if not isinstance(raw, int) or abs(raw) < 10**300 else math.inf
    else:
        text = str(raw).strip()
        compact = _SPACES.sub("", text)
        if compact != text and not _GROUPED_THOUSANDS.match(text):
            compact = text  # spaces elsewhere than between groups of thousands: ambiguous
        if not _PLAIN_NUMBER.match(compact):
            return None, [problem("questionnaire.nombre_invalide",
                                  f"{f.title} : « {text} » n'est pas un nombre.",
                                  "Saisissez un nombre seul, sans unité ni texte "
                                  "(décimales avec une virgule).", attendu="nombre")]
        if compact != text:
            problems.append(problem("questionnaire.espaces_retires",
                                    f"{f.title} : « {text} » lu comme {compact}.",
                                    gravite=GRAVITE_AVERTISSEMENT))
        if "," in compact:
            problems.append(problem("questionnaire.virgule_decimale",
                                    f"{f.title} : « {text} » lu comme le nombre décimal "
                                    f"{compact}.", gravite=GRAVITE_AVERTISSEMENT))
        number = float(compact.replace(",", "."))
    minimum = f.constraints.get("minimum")
    if minimum is not None and number < minimum:
        return None, [problem("questionnaire.nombre_negatif",
                              f"{f.title} : {_shown(raw)} est inférieur à {minimum}.",
                              attendu=f"≥ {minimum}")]
    absurd = number_problem(number, f.unit)
    if absurd is not None:
        return None, [problem(f"questionnaire.{absurd[0]}",
                              f"{f.title} : {_shown(raw)}, {absurd[1]} : la valeur est écartée.",
                              "Saisissez le nombre réel (sans formule ni puissance de 10).",
                              attendu=absurd[2])]
    if f.type == "integer":
        if not number.is_integer():
            return None, [problem("questionnaire.entier_attendu",
                                  f"{f.title} : « {_shown(raw)} » n'est pas un nombre entier.",
                                  attendu="nombre entier")]
        return int(number), problems
    return number, problems


def _shown(raw: Any) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) >= 1e15:
        return f"{float(raw):g}"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)
