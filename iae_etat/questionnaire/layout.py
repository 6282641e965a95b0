"""Layout of the questionnaire workbook, derived from the ``raw_questionnaires`` contract.

Every data sheet has one row per field: column A holds the field code (the reader finds answers
by this code, so added rows or renamed sheets do not lose them), B the question, C the answer,
D the unit, E the help and F last year's answer. The « Résidence » sheet has one row per EPCI
of the project (code ``residence_<SIREN>``, plus ``residence_hors``), described by the
``raw_questionnaires_residence`` contract. A very hidden sheet holds the stamp.
"""

from __future__ import annotations

from dataclasses import dataclass

from iae_etat.tables.contracts import Contract, Field

INSTRUCTIONS_SHEET = "Instructions"
STAMP_SHEET = "_tampon"
LISTS_SHEET = "_listes"
HEADER_ROW = 3
FIRST_ROW = 4
CODE_COL, LABEL_COL, ANSWER_COL, UNIT_COL, HELP_COL, PREVIOUS_COL = 1, 2, 3, 4, 5, 6
HEADERS = ("Code", "Question", "Réponse", "Unité", "Aide")
RESIDENCE_PREFIX = "residence_"
RESIDENCE_OUTSIDE = "hors"
RESIDENCE_OUTSIDE_LABEL = "Hors du périmètre (autres départements)"
STAMP_KEYS = ("version_contrat", "millesime", "siret", "type_siae")


@dataclass(frozen=True)
class Placement:
    """Where a field stands in the generated workbook."""

    field: Field
    sheet: str
    row: int


def sheets(contract: Contract) -> list[str]:
    """Data sheet names, in the order of their first field in the contract."""
    names: list[str] = []
    for f in contract.fields:
        sheet = f.extra.get("questionnaire", {}).get("feuille")
        if sheet and sheet not in names:
            names.append(sheet)
    return names


_PLACEMENTS: dict[int, tuple[Contract, list[Placement]]] = {}


def placements(contract: Contract) -> list[Placement]:
    """Every questionnaire field with its sheet and row (computed once per contract)."""
    known = _PLACEMENTS.get(id(contract))
    if known is not None and known[0] is contract:
        return known[1]
    out = _placements(contract)
    _PLACEMENTS[id(contract)] = (contract, out)
    return out


def _placements(contract: Contract) -> list[Placement]:
    rows: dict[str, int] = {}
    out = []
    for f in contract.fields:
        sheet = f.extra.get("questionnaire", {}).get("feuille")
        if not sheet:
            continue
        row = rows.get(sheet, FIRST_ROW)
        out.append(Placement(f, sheet, row))
        rows[sheet] = row + 1
    return out


# Examples of the help texts (``{exemple_commune}``, ``{exemple_codes}`` in the contract),
# taken from the project's own département (``commune_example``); these are the demo's.
EXAMPLES = {"exemple_commune": "26362 pour Valence", "exemple_codes": "26362 ; 26281"}


def help_text(f: Field, exemple: dict[str, str] | None = None) -> str:
    """The help shown next to a field, its examples from ``exemple`` (else ``EXAMPLES``)."""
    text = f.extra.get("questionnaire", {}).get("aide", "") or f.description
    for key, value in {**EXAMPLES, **(exemple or {})}.items():
        text = text.replace("{" + key + "}", value)
    return text


def commune_example(communes: list[tuple[str, str, int]]) -> dict[str, str]:
    """The examples of the help texts from the project's communes ``(code, nom, population)``:
    its two most populous communes (the demo's when fewer than two are given)."""
    ranked = sorted(communes, key=lambda c: (-c[2], c[0]))
    if len(ranked) < 2:
        return dict(EXAMPLES)
    (code, nom, _), (other, _, _) = ranked[:2]
    return {"exemple_commune": f"{code} pour {nom}", "exemple_codes": f"{code} ; {other}"}


def prefilled(f: Field) -> bool:
    """True for the stable answers copied from last year's return into the new workbook."""
    return bool(f.extra.get("questionnaire", {}).get("prerempli", False))


def residence_field(residence_contract: Contract) -> Field:
    """The field of the residence contract that the « Résidence » rows answer."""
    return next(f for f in residence_contract.fields if f.extra.get("questionnaire"))


def residence_code(code_epci: str) -> str:
    """The column-A code of the residence row of an EPCI (or of ``hors``)."""
    return f"{RESIDENCE_PREFIX}{code_epci}"


def residence_rows(epcis: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """(code_epci, label, row) of the residence sheet: the EPCI by name, then « hors »."""
    rows = sorted(epcis, key=lambda e: (e[1], e[0])) + [(RESIDENCE_OUTSIDE,
                                                         RESIDENCE_OUTSIDE_LABEL)]
    return [(code, label, FIRST_ROW + i) for i, (code, label) in enumerate(rows)]
