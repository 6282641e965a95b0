"""Indicators computed from other indicators of the same cell, one function each (pure).

Adding such an indicator takes two steps (CONTRIBUTING.md, « Add an indicator »): declare it in
``schemas/indicateurs.yaml`` (label, definition, formula, unit, sources, ``par_type``…), then
write its function here, registered with ``@computes(code, *inputs)``: it receives one Series
per input indicator, aligned on the cells (niveau, territoire, type de SIAE, public), and
returns the values. ``indicators()`` appends the rows to ``out_indicateurs``; the report's
method annex and the dashboard list every indicator of the catalogue present in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iae_etat.analyse.secret import CONTRIBUTION_MAX
from iae_etat.common.indicators import BY_CODE, Indicateur
from iae_etat.common.vocabulary import ENSEMBLE

CELL = ["niveau", "code", "libelle", "type_siae", "public"]


@dataclass(frozen=True)
class Computed:
    """An indicator computed from ``inputs``, other indicators of the same cell."""

    code: str
    inputs: tuple[str, ...]
    function: Callable[..., pd.Series]


# The registered computations, by indicator code; an entry is added by ``@computes`` below.
COMPUTED: dict[str, Computed] = {}


def computes(code: str, *inputs: str) -> Callable:
    """Register the decorated function as the computation of indicator ``code``."""
    def register(function: Callable[..., pd.Series]) -> Callable[..., pd.Series]:
        COMPUTED[code] = Computed(code, inputs, function)
        return function
    return register


def computed_indicators(table: pd.DataFrame, registry: Mapping[str, Computed] | None = None,
                        catalogue: Mapping[str, Indicateur] | None = None) -> pd.DataFrame:
    """The rows of every registered indicator (columns of ``table``: the long indicator table),
    for the levels, kinds and publics its catalogue entry declares."""
    registry = COMPUTED if registry is None else registry
    catalogue = BY_CODE if catalogue is None else catalogue
    frames = []
    for item in registry.values():
        if item.code not in catalogue:
            raise ValueError(f"{item.code} is computed but not declared in "
                             "schemas/indicateurs.yaml")
        frames.append(_rows(table, item, catalogue[item.code]))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return table.iloc[:0]
    return pd.concat(frames, ignore_index=True)


def _rows(table: pd.DataFrame, item: Computed, indicateur: Indicateur) -> pd.DataFrame:
    rows = table[table["indicateur"].isin(item.inputs)
                 & table["niveau"].isin(indicateur.niveaux)]
    if not indicateur.par_type:
        rows = rows[rows["type_siae"] == ENSEMBLE]
    if not indicateur.par_public:
        rows = rows[rows["public"] == ENSEMBLE]
    if rows.empty:
        return pd.DataFrame()
    plain = rows[[*CELL, "indicateur", "valeur", "methode"]].astype(
        {c: str for c in [*CELL, "indicateur", "methode"]})
    wide = plain.pivot(index=CELL, columns="indicateur", values="valeur") \
        .reindex(columns=list(item.inputs)).astype(float)
    values = item.function(*(wide[name] for name in item.inputs))
    methode = plain[plain["indicateur"] == item.inputs[0]].set_index(CELL)["methode"]
    out = wide.index.to_frame(index=False)
    out["indicateur"] = item.code
    out["unite"] = indicateur.unite
    out["valeur"] = np.asarray(values.reindex(wide.index), dtype=float)
    out["methode"] = methode.reindex(wide.index).fillna("implantation").to_numpy()
    out[CONTRIBUTION_MAX] = np.nan
    return out
