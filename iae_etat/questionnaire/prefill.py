"""Fast filling of questionnaire workbooks: one template, then the values spliced into its XML.

Writing a styled, protected, validated workbook with openpyxl costs about 150 ms (a second for a
national « Résidence » sheet of 1 255 EPCI); a campaign, the demo and the benchmark write
thousands of them. The template is built once by ``build_workbook`` with placeholder values in
every cell a SIAE's copy changes (answers, last year's answers, residence rows, stamp), and each
of its parts is deflated once. Each copy splices its values into the sheet XML (inline strings,
no shared string to renumber), deflates only the sheets whose content changed and copies every
other part byte for byte, with fixed timestamps (about a millisecond). A workbook filled here
reads exactly like one built by ``build_workbook`` with the same values.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape, unescape

from iae_etat.questionnaire import layout
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.tables.contracts import Contract
from iae_etat.tables.xlsx import deflate_part, zip_deflated
from iae_etat.territoires.codes import normalise_siret

_PLACEHOLDER_SIRET = "00000000000000"
_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: [a-z]+="[^"]*")*) ?(?:/>|>.*?</c>)', re.S)
_STYLE = re.compile(r' s="\d+"')
_SHEET = re.compile(r'<sheet name="([^"]+)"[^>]*r:id="([^"]+)"')
_RELATION = re.compile(r'<Relationship\s[^>]*>')
_ATTRIBUTE = re.compile(r'(Id|Target)="([^"]+)"')
# Characters XML 1.0 forbids (openpyxl refuses them in a cell) and the carriage return (openpyxl
# drops it when it writes): left out of a prefilled text.
_ILLEGAL = re.compile("[\x00-\x08\x0b-\x1f]")


def _letter(column: int) -> str:
    return "ABCDEFGHIJ"[column - 1]


class WorkbookTemplate:
    """The questionnaire of one millésime (and one list of EPCI), ready for many SIAE."""

    def __init__(self, contract: Contract, millesime: int, fictitious: bool = False,
                 residence_contract: Contract | None = None,
                 epcis: list[tuple[str, str]] | None = None, with_previous: bool = False,
                 exemple: dict[str, str] | None = None) -> None:
        """``with_previous``: the copies show last year's answers (the reminder column);
        ``exemple``: the examples of the help texts (``layout.commune_example``)."""
        placements = layout.placements(contract)
        placeholders = {p.field.name: 0 for p in placements} if with_previous else None
        data = build_workbook(contract, millesime,
                              {"siret": _PLACEHOLDER_SIRET, "type_siae": "ACI"},
                              fictitious=fictitious, residence_contract=residence_contract,
                              epcis=epcis, previous=placeholders, exemple=exemple)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self._parts = {name: archive.read(name) for name in archive.namelist()}
        self._deflated = {name: deflate_part(name, part) for name, part in self._parts.items()}
        paths = _sheet_paths(self._parts)
        wanted: dict[str, dict[str, tuple[str, str]]] = {}

        def want(sheet: str, ref: str, kind: str, key: str) -> None:
            wanted.setdefault(paths[sheet], {})[ref] = (kind, key)

        for place in placements:
            want(place.sheet, f"{_letter(layout.ANSWER_COL)}{place.row}", "answers",
                 place.field.name)
            if with_previous:
                want(place.sheet, f"{_letter(layout.PREVIOUS_COL)}{place.row}", "previous",
                     place.field.name)
        if residence_contract is not None and epcis:
            sheet = layout.residence_field(residence_contract).extra["questionnaire"]["feuille"]
            for code, _label, row in layout.residence_rows(epcis):
                want(sheet, f"{_letter(layout.ANSWER_COL)}{row}", "residence", code)
        for i, key in enumerate(layout.STAMP_KEYS, start=1):
            if key in ("siret", "type_siae"):
                want(layout.STAMP_SHEET, f"B{i}", "stamp", key)
        split = {path: _split(self._parts[path].decode("utf-8"), cells)
                 for path, cells in wanted.items()}
        self._pieces = {path: pieces for path, (pieces, _) in split.items()}
        # A sheet whose cells to fill are all empty in the template (the residence rows) is
        # copied as it is when a SIAE's copy leaves them empty too (a new campaign).
        self._blank = {path for path, (_, blank) in split.items() if blank}
        self._keys = {path: {kind: frozenset(key for k, key in cells.values() if k == kind)
                             for kind, _ in cells.values()}
                      for path, cells in wanted.items()}

    def fill(self, answers: dict[str, Any], residence: dict[str, int] | None = None,
             previous: dict[str, Any] | None = None) -> bytes:
        """The xlsx bytes of the questionnaire of one SIAE."""
        values = {"answers": answers, "residence": residence or {}, "previous": previous or {},
                  "stamp": {"siret": normalise_siret(answers.get("siret")) or "",
                            "type_siae": str(answers.get("type_siae", ""))}}
        parts = dict(self._deflated)
        for path, pieces in self._pieces.items():
            if path in self._blank and _all_empty(self._keys[path], values):
                continue
            parts[path] = deflate_part(path, _render(pieces, values).encode("utf-8"))
        return zip_deflated(parts.values())


def _all_empty(keys: dict[str, frozenset], values: dict[str, dict]) -> bool:
    """True when no cell of a sheet (its keys by kind) gets a value."""
    for kind, wanted in keys.items():
        given = values[kind]
        if given and not wanted.isdisjoint(given) \
                and any(given[key] is not None for key in wanted.intersection(given)):
            return False
    return True


def _render(pieces: list, values: dict[str, dict]) -> str:
    """The sheet XML with the cells of ``pieces`` holding ``values`` (kind → key → value)."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            ref, style, kind, key = piece
            out.append(_cell(ref, style, values[kind].get(key)))
    return "".join(out)


def _split(xml: str, cells: dict[str, tuple[str, str]]) -> tuple[list, bool]:
    """The sheet XML cut around the cells to fill: text pieces and (ref, style, kind, key);
    and whether every one of these cells is empty in ``xml``."""
    pieces: list = []
    start = 0
    blank = True
    for match in _CELL.finditer(xml):
        ref = match.group(1)
        if ref not in cells:
            continue
        style = _STYLE.search(match.group(2))
        pieces.append(xml[start:match.start()])
        pieces.append((ref, style.group(0) if style else "", *cells[ref]))
        blank = blank and match.group(0).endswith("/>")
        start = match.end()
    missing = len(cells) - sum(1 for p in pieces if not isinstance(p, str))
    if missing:
        raise ValueError(f"{missing} cell(s) to fill are missing from the questionnaire template")
    pieces.append(xml[start:])
    return pieces, blank


def _cell(ref: str, style: str, value: Any) -> str:
    """One cell: empty, a number (written as openpyxl writes it), a boolean or inline text."""
    if value is None:
        return f'<c r="{ref}"{style}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Integral):
        return f'<c r="{ref}"{style} t="n"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return f'<c r="{ref}"{style}/>'
        # openpyxl keeps 16 significant digits (0.1 + 0.2 is written 0.3): the same value
        rounded = "%.16g" % number  # noqa: UP031
        shown = repr(number) if float(rounded) == number else rounded
        return f'<c r="{ref}"{style} t="n"><v>{shown}</v></c>'
    text = escape(_ILLEGAL.sub("", str(value)))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_paths(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → path of its XML part inside the archive."""
    targets = {}
    for relation in _RELATION.findall(parts["xl/_rels/workbook.xml.rels"].decode("utf-8")):
        attributes = dict(_ATTRIBUTE.findall(relation))
        target = attributes["Target"]
        targets[attributes["Id"]] = target.lstrip("/") if target.startswith("/") \
            else f"xl/{target}"
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    return {unescape(name, {"&quot;": '"', "&apos;": "'"}): targets[rid]
            for name, rid in _SHEET.findall(workbook)}
