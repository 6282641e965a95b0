"""Text cells of a source turned into numbers: French writing accepted, absurd values recorded.

Every number goes through ``tables.nombres.number_problem`` (finite, not negative, within the
order of magnitude of its unit); a bad cell becomes a record with its file, line and column and
never reaches a contract or a published figure.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.errors import Probleme
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN
from iae_etat.tables import nombres


def parse_numbers(frame: pd.DataFrame, columns: list[str], unite: str = "",
                  titles: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[Probleme]]:
    """Turn text columns into floats (« 1 234,5 » accepted); bad cells become problems.

    Every number goes through ``nombres.number_problem`` (finite, not negative, within the
    order of magnitude of ``unite``): an absurd one is dropped (missing) and recorded with its
    file, line and column, so that it never reaches a contract or a published figure.
    """
    out = frame.copy()
    problems = []
    for column in columns:
        label = (titles or {}).get(column, column)
        text = out[column].astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        text = text.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & numbers.isna() & ~text.str.lower().isin(["nan", "-nan", "+nan"])
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=out.at[idx, FILE_COLUMN], cellule=f"ligne {out.at[idx, LINE_COLUMN]}",
                champ=column, valeur=str(frame.at[idx, column]), regle="source.nombre_invalide",
                message=f"« {frame.at[idx, column]} » n'est pas un nombre "
                        f"(ligne {out.at[idx, LINE_COLUMN]}, colonne « {label} »)."))
        limit = nombres.limit_of(unite)
        absurd = text.notna() & ~bad & ~(numbers.between(0, limit))
        for idx in out.index[absurd]:
            problems.append(absurd_value(
                out.at[idx, FILE_COLUMN], out.at[idx, LINE_COLUMN], column, label,
                str(frame.at[idx, column]), float(numbers[idx]), unite,
                "la valeur est écartée (comptée comme manquante)"))
        out[column] = numbers.mask(bad | absurd).astype("Float64")
    return out, problems


def absurd_value(fichier: str, line: object, column: str, label: str, raw: str, value: float,
                 unite: str, outcome: str) -> Probleme:
    """The record of a number of a public source that cannot be used (infinite, negative, or
    beyond the order of magnitude of ``unite``), with its line and column; ``outcome`` says what
    became of it."""
    found = nombres.number_problem(value, unite, minimum=0)
    rule, reason, expected = found or ("nombre_non_fini", "valeur non numérique", "nombre fini")
    return Probleme(
        fichier=fichier, cellule=f"ligne {line}", champ=column, valeur=raw,
        regle=f"source.{rule}", attendu=expected,
        message=f"Ligne {line}, colonne « {label} » : « {raw} », {reason} ; {outcome}.",
        conseil="Téléchargez le fichier à nouveau depuis le site de la source ; s'il est ainsi "
                "publié, signalez-le au producteur.")
