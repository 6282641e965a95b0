"""Prepare the questionnaires of a millésime: one prefilled workbook per SIAE in scope (pure).

Identity comes from the SIAE list; the stable answers of last year's return (sites, secteurs,
partenariats: the fields marked ``prerempli`` in the contract) are copied, and every answer of
last year is shown in a read-only reminder column.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from iae_etat.questionnaire import layout
from iae_etat.questionnaire.workbook import build_workbook
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
    liste = liste.sort_values(["siret", "type_siae"]).reset_index(drop=True)
    stable = [p.field.name for p in layout.placements(contract) if layout.prefilled(p.field)]
    out = {}
    for name, row in zip(file_names(liste), liste.itertuples(index=False), strict=True):
        last = previous.get((row.siret, row.type_siae), {})
        answers: dict[str, Any] = {k: last[k] for k in stable if k in last}
        answers.update({"siret": row.siret, "type_siae": row.type_siae,
                        "denomination": last.get("denomination") or row.denomination})
        if isinstance(row.code_commune, str):
            answers["code_commune_siege"] = row.code_commune
        out[name] = build_workbook(contract, millesime, answers, fictitious,
                                   residence_contract, epcis, None, last or None, exemple)
    return out
