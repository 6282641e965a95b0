"""Prepare the questionnaires of a millésime: one prefilled workbook per SIAE in scope (pure).

Identity comes from the SIAE list; the stable answers of last year's return (sites, secteurs,
partenariats: the fields marked ``prerempli`` in the contract) are copied, and every answer of
last year is shown in a read-only reminder column. The workbooks are filled copies of a
template (``prefill``): 5 000 of them, a national campaign, in a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from iae_etat.questionnaire import layout
from iae_etat.questionnaire.prefill import WorkbookTemplate
from iae_etat.tables.contracts import Contract


def file_names(liste: pd.DataFrame) -> list[str]:
    """``<siret>.xlsx``, or ``<siret>_<type>.xlsx`` when two kinds share a SIRET."""
    twins = liste["siret"].duplicated(keep=False)
    return [f"{s}_{t}.xlsx" if twin else f"{s}.xlsx"
            for s, t, twin in zip(liste["siret"], liste["type_siae"], twins, strict=True)]


def questionnaires(contract: Contract, residence_contract: Contract, millesime: int,
                   liste: pd.DataFrame, epcis: list[tuple[str, str]],
                   previous: dict[tuple[str, str], dict], fictitious: bool = False,
                   exemple: dict[str, str] | None = None) -> dict[str, bytes]:
    """File name → workbook bytes, one per SIAE of ``liste`` (``exemple``: the examples of the
    help texts, from the project's département, ``layout.commune_example``)."""
    return dict(iter_questionnaires(contract, residence_contract, millesime, liste, epcis,
                                    previous, fictitious, exemple))


def iter_questionnaires(contract: Contract, residence_contract: Contract, millesime: int,
                        liste: pd.DataFrame, epcis: list[tuple[str, str]],
                        previous: dict[tuple[str, str], dict], fictitious: bool = False,
                        exemple: dict[str, str] | None = None) -> Iterator[tuple[str, bytes]]:
    """(file name, workbook bytes) one SIAE at a time, in the order of SIRET and type (a
    national campaign is never held whole in memory).

    Two templates are built with openpyxl (with and without last year's reminder column); each
    workbook is a template filled with the SIAE's prefilled answers (``prefill``).
    """
    templates: dict[bool, WorkbookTemplate] = {}
    for name, answers, last in prefilled_answers(contract, liste, previous):
        shown = bool(last)
        if shown not in templates:
            templates[shown] = WorkbookTemplate(contract, millesime, fictitious,
                                                residence_contract, epcis, shown, exemple)
        yield name, templates[shown].fill(answers, None, last or None)


def prefilled_answers(contract: Contract, liste: pd.DataFrame,
                      previous: dict[tuple[str, str], dict]
                      ) -> Iterator[tuple[str, dict[str, Any], dict]]:
    """(file name, prefilled answers, last year's answers or {}) of each SIAE of ``liste``:
    its identity from the list, the stable answers of last year's return (``prerempli``)."""
    liste = liste.sort_values(["siret", "type_siae"]).reset_index(drop=True)
    stable = [p.field.name for p in layout.placements(contract) if layout.prefilled(p.field)]
    for name, row in zip(file_names(liste), liste.itertuples(index=False), strict=True):
        last = previous.get((row.siret, row.type_siae), {})
        answers: dict[str, Any] = {k: last[k] for k in stable if k in last}
        answers.update({"siret": row.siret, "type_siae": row.type_siae,
                        "denomination": last.get("denomination") or row.denomination})
        if isinstance(row.code_commune, str):
            answers["code_commune_siege"] = row.code_commune
        yield name, answers, last
