"""Fast filling of questionnaire workbooks: one template per millésime, then XML patches.

Writing a styled, protected, validated workbook with openpyxl costs about 140 ms; the demo and the
benchmark write thousands of them. The template is built once by ``build_workbook`` with no
answers; each SIAE's copy replaces its answer cells and its stamp in the sheet XML and is
re-zipped with the fixed timestamps of ``xlsx.stable_zip`` (a few milliseconds). A workbook filled
here reads exactly like one built by ``build_workbook`` with the same answers.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from iae_etat.contracts import Contract
from iae_etat.questionnaire import layout
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.xlsx import zip_parts

_TOKENS = {"siret": "__IAE_SIRET__", "type_siae": "__IAE_TYPE_SIAE__"}
_SHEET = re.compile(r'<sheet name="([^"]+)"[^>]*r:id="([^"]+)"')
_TARGET = re.compile(r'Id="([^"]+)"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="([^"]+)"')
_ANSWER_LETTER = "ABCDEFGHIJ"[layout.ANSWER_COL - 1]


class WorkbookTemplate:
    """The questionnaire of one millésime, ready to be filled for many SIAE."""

    def __init__(self, contract: Contract, millesime: int, fictitious: bool = False) -> None:
        data = build_workbook(contract, millesime, dict(_TOKENS), fictitious=fictitious)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self._parts = {name: archive.read(name) for name in archive.namelist()}
        paths = _sheet_paths(self._parts)
        self._stamp_path = paths[layout.STAMP_SHEET]
        self._cells: dict[str, list[tuple[str, str]]] = {}
        for place in layout.placements(contract):
            self._cells.setdefault(paths[place.sheet], []).append(
                (place.field.name, f"{_ANSWER_LETTER}{place.row}"))

    def fill(self, answers: dict[str, Any]) -> bytes:
        """The xlsx bytes of the questionnaire prefilled with ``answers``."""
        parts = dict(self._parts)
        for path, cells in self._cells.items():
            xml = parts[path].decode("utf-8")
            for name, ref in cells:
                xml = _put_cell(xml, ref, answers.get(name))
            parts[path] = xml.encode("utf-8")
        stamp = parts[self._stamp_path].decode("utf-8")
        for key, token in _TOKENS.items():
            stamp = stamp.replace(token, escape(str(answers.get(key, ""))))
        parts[self._stamp_path] = stamp.encode("utf-8")
        return zip_parts(parts)


def _sheet_paths(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name → path of its XML part inside the archive."""
    targets = {}
    for match in _TARGET.finditer(parts["xl/_rels/workbook.xml.rels"].decode("utf-8")):
        rid, target = (match.group(1), match.group(2)) if match.group(1) else \
            (match.group(4), match.group(3))
        targets[rid] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    workbook = parts["xl/workbook.xml"].decode("utf-8")
    return {_unescape(name): targets[rid] for name, rid in _SHEET.findall(workbook)}


def _unescape(text: str) -> str:
    return (text.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def _put_cell(xml: str, ref: str, value: Any) -> str:
    """Replace the (empty) answer cell ``ref`` by one holding ``value``, keeping its style."""
    pattern = re.compile(rf'<c r="{ref}"((?: [a-z]+="[^"]*")*) ?(?:/>|>.*?</c>)', re.S)
    match = pattern.search(xml)
    if match is None:
        raise ValueError(f"answer cell {ref} missing from the questionnaire template")
    style = re.search(r' s="\d+"', match.group(1))
    attrs = f' r="{ref}"{style.group(0) if style else ""}'
    if value is None:
        cell = f"<c{attrs}/>"
    elif isinstance(value, bool) or not isinstance(value, int | float):
        text = escape(str(value))
        cell = f'<c{attrs} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    else:
        cell = f'<c{attrs} t="n"><v>{value!r}</v></c>'
    return xml[:match.start()] + cell + xml[match.end():]

