"""Text cells of a source turned into numbers: French writing accepted, absurd values recorded.

Every number goes through ``tables.nombres.number_problem`` (finite, not negative, within the
order of magnitude of its unit); a bad cell becomes a record with its file, line and column and
never reaches a contract or a published figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from iae_etat.common.errors import Probleme
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN
from iae_etat.tables import nombres

PLAIN = r"[0-9]{1,15}(\.[0-9]{1,15})?"  # what a source writes nearly always


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
        limit = nombres.limit_of(unite)
        raw = out[column].astype("string")
        # plain digits within the limit (nearly every cell) converted at once, by pyarrow
        plain = raw.str.fullmatch(PLAIN).fillna(False).to_numpy(dtype=bool)
        numbers = pd.Series(np.nan, index=out.index, dtype="float64")
        if plain.any():
            numbers[plain] = pc.cast(pa.array(raw[plain], type=pa.string()),
                                     pa.float64()).to_numpy(zero_copy_only=False)
            plain &= (numbers <= limit).to_numpy()
        rest = ~plain & raw.notna().to_numpy()
        bad = pd.Series(False, index=out.index)
        absurd = pd.Series(False, index=out.index)
        if rest.any():
            text = raw[rest].str.replace(r"[\s\u00a0\u202f]", "", regex=True)
            text = text.str.replace(",", ".", regex=False)
            parsed = pd.to_numeric(text, errors="coerce").astype("float64")
            numbers[rest] = parsed.to_numpy()
            wrong = (text.notna() & parsed.isna()
                     & ~text.str.lower().isin(["nan", "-nan", "+nan"])).astype(bool)
            bad[rest] = wrong.to_numpy()
            absurd[rest] = (text.notna() & ~wrong & ~(parsed.between(0, limit))) \
                .astype(bool).to_numpy()
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=out.at[idx, FILE_COLUMN], cellule=f"ligne {out.at[idx, LINE_COLUMN]}",
                champ=column, valeur=str(frame.at[idx, column]), regle="source.nombre_invalide",
                message=f"« {frame.at[idx, column]} » n'est pas un nombre "
                        f"(ligne {out.at[idx, LINE_COLUMN]}, colonne « {label} »)."))
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
