"""Read one returned questionnaire workbook (.xlsx or .ods) with python-calamine.

Answers are found by their field code in column A, on whatever sheet they stand, so a renamed
sheet or an added row loses nothing. Each cell is parsed by the type of its field: what can be
repaired without ambiguity is repaired and reported as a warning, the rest is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iae_etat.codes import COMMUNE_PATTERN, normalise_commune, normalise_siret
from iae_etat.contracts import Contract, Field
from iae_etat.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.questionnaire import layout

ACCEPTED_SUFFIXES = (".xlsx", ".ods")
_GROUPED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
_SPACES = re.compile(r"[ \u00a0\u202f]")


@dataclass
class Retour:
    """What was read from one returned workbook."""

    fichier: str
    answers: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)
    stamp: dict[str, str] = field(default_factory=dict)
    problemes: list[Probleme] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(p.bloquant and not p.cellule for p in self.problemes)


def read_return(path: Path, contract: Contract, display_name: str) -> Retour:
    """Read ``path``; problems name ``display_name``, the sheet and the cell."""
    from python_calamine import CalamineWorkbook

    retour = Retour(fichier=display_name)
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        retour.problemes.append(_unsupported_format(display_name, suffix))
        return retour
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                  for name in workbook.sheet_names}
    except Exception as exc:  # calamine raises several error types for damaged files
        retour.problemes.append(Probleme(
            fichier=display_name, regle="questionnaire.fichier_illisible",
            message=f"Le classeur ne peut pas être lu ({type(exc).__name__}).",
            conseil="Ouvrez-le dans un tableur, enregistrez-le au format .xlsx et renvoyez-le."))
        return retour
    retour.stamp = _stamp(sheets.get(layout.STAMP_SHEET, []))
    fields_by_code = {f.name: f for f in contract.fields}
    for sheet, rows in sheets.items():
        if sheet in (layout.STAMP_SHEET, layout.LISTS_SHEET, layout.INSTRUCTIONS_SHEET):
            continue
        for index, row in enumerate(rows):
            code = str(row[0]).strip() if row else ""
            f = fields_by_code.get(code)
            if f is None or code in retour.cells:
                continue
            raw = row[layout.ANSWER_COL - 1] if len(row) >= layout.ANSWER_COL else ""
            cell = f"C{index + 1}"
            retour.cells[code] = (sheet, cell)
            value, problems = parse_cell(raw, f, display_name, sheet, cell)
            retour.problemes.extend(problems)
            if value is not None:
                retour.answers[code] = value
    for place in layout.placements(contract):
        if place.field.name not in retour.cells:
            retour.problemes.append(Probleme(
                fichier=display_name, feuille=place.sheet, champ=place.field.name,
                regle="questionnaire.question_absente", gravite=GRAVITE_AVERTISSEMENT,
                message=f"La question « {place.field.title} » est introuvable dans le classeur.",
                conseil="La ligne a peut-être été supprimée : repartez du classeur envoyé."))
    return retour


def _unsupported_format(display_name: str, suffix: str) -> Probleme:
    if suffix == ".xls":
        message = "Le format .xls (Excel 97-2003) n'est pas accepté."
    elif suffix in (".xlsm", ".xlsb"):
        message = f"Le format {suffix} (classeur avec macros ou binaire) n'est pas accepté."
    else:
        message = f"Le fichier « {suffix or 'sans extension'} » n'est pas un classeur accepté."
    return Probleme(fichier=display_name, regle="questionnaire.format_refuse", valeur=suffix,
                    attendu=".xlsx ou .ods", message=message,
                    conseil="Enregistrez le questionnaire au format .xlsx ou .ods et renvoyez-le.")


def _stamp(rows: list[list[Any]]) -> dict[str, str]:
    stamp = {}
    for row in rows:
        if len(row) >= 2 and str(row[0]).strip() in layout.STAMP_KEYS:
            stamp[str(row[0]).strip()] = str(row[1]).strip()
    return stamp


def parse_cell(raw: Any, f: Field, fichier: str, sheet: str,
               cell: str) -> tuple[Any, list[Probleme]]:
    """The value of one answer cell for field ``f``, and the problems it raised."""
    def problem(regle: str, message: str, conseil: str = "", gravite: str = "erreur",
                attendu: str = "") -> Probleme:
        return Probleme(fichier=fichier, feuille=sheet, cellule=cell, champ=f.name,
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
    if "enum" in f.constraints:
        for choice in f.constraints["enum"]:
            if text.casefold() == str(choice).casefold():
                return choice, []
        return None, [problem("questionnaire.valeur_hors_liste",
                              f"{f.title} : « {_shown(raw)} » n'est pas dans la liste proposée.",
                              "Choisissez une valeur dans la liste déroulante.",
                              attendu=" | ".join(map(str, f.constraints["enum"])))]
    return text, []


def _parse_number(raw: Any, f: Field, problem: Any) -> tuple[Any, list[Probleme]]:
    problems: list[Probleme] = []
    if isinstance(raw, bool):
        return None, [problem("questionnaire.nombre_invalide",
                              f"{f.title} : un nombre est attendu.", attendu="nombre")]
    if isinstance(raw, int | float):
        number = float(raw)
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
        return None, problems + [problem("questionnaire.nombre_negatif",
                                         f"{f.title} : {_shown(raw)} est inférieur à {minimum}.",
                                         attendu=f"≥ {minimum}")]
    if f.type == "integer":
        if not number.is_integer():
            return None, problems + [problem("questionnaire.entier_attendu",
                                             f"{f.title} : « {_shown(raw)} » n'est pas un "
                                             "nombre entier.", attendu="nombre entier")]
        return int(number), problems
    return number, problems


def _shown(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)
