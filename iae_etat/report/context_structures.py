"""The list of the structures of the offer for the report (pure).

Only public administrative facts are listed (name, kind, commune); whether a structure answered
the questionnaire is not (the report is public: the état des lieux is not an audit of the
structures; the restreinte dashboard keeps it), and no figure of a single structure is published.
"""

from __future__ import annotations

import pandas as pd


def structure_list(structures: pd.DataFrame, territoires: pd.DataFrame) -> list[dict]:
    """One row per SIAE, sorted by name: dénomination, type, commune."""
    names = dict(zip(territoires["code_commune"], territoires["nom_commune"], strict=True))
    rows = []
    for record in structures.sort_values(["denomination", "type_siae", "siret"]) \
            .to_dict("records"):
        code = record.get("code_commune")
        commune = names.get(code, "") if isinstance(code, str) else ""
        rows.append({"denomination": record["denomination"], "type": record["type_siae"],
                     "commune": commune or "hors périmètre ou non localisée"})
    return rows
