"""Audit of statistical secrecy: can a published-secret cell be recomputed? (pure functions)

Two checks over every additive equation of the counts of people and of the amounts (communes →
EPCI, arrondissement, département; EPCI and arrondissements → département; kinds of SIAE →
``ensemble``; each public separately; a total indicator and its parts in one cell):

- exhaustive: an equation whose known cells hold exactly one secret cell lets it be solved;
- linear bounds: every secret cell starts in [0, +∞), published cells are fixed, and each equation
  narrows the interval of its cells (a part lies between the total's bounds minus the others'
  bounds; a total between the sums of its parts' bounds) until nothing moves. A secret cell whose
  interval shrinks to one value is disclosed, even when no single equation gives it.

Cells not available (``nd``) are outside every equation, as they are for the suppression.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.secret import SECRET, equations

_KEY = ["niveau", "code", "indicateur", "type_siae", "public"]
AUDIT_COLUMNS = [*_KEY, "equation", "raison"]
SEULE_INCONNUE = "seule cellule secrète de son équation"
BORNES = "valeur fixée par les bornes linéaires"
_ROUNDS = 100


def audit_secret(published: pd.DataFrame, territoires: pd.DataFrame, effectifs: set[str],
                 sommes: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Failures of the secrecy of ``published`` (the output of ``apply_secret``).

    The true values come from the ``restreinte`` rows, the statuses from the ``publique`` rows.
    ``effectifs`` are the audited indicators (counts of people and amounts under the dominance
    rule), ``sommes`` the additive relations between them (total → parts).
    Returns one row per disclosed cell (columns ``AUDIT_COLUMNS``); empty when secrecy holds.
    """
    public = published[published["diffusion"] == "publique"]
    truth = published.loc[published["diffusion"] == "restreinte", [*_KEY, "valeur"]]
    method = ["methode"] if "methode" in public.columns else []
    cells = public[_KEY + ["statut", *method]].merge(truth, on=_KEY, how="inner",
                                                     validate="1:1")
    cells = cells[cells["indicateur"].isin(effectifs) & cells["valeur"].notna()]
    cells = cells.reset_index(drop=True)
    eqs = equations(cells, territoires, sommes)
    if eqs.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    hidden = (cells["statut"] == SECRET).to_numpy()
    failures = [_lone_cells(cells, eqs, hidden), _pinned_cells(cells, eqs, hidden)]
    out = pd.concat(failures, ignore_index=True)
    return out.drop_duplicates(_KEY).sort_values(_KEY).reset_index(drop=True)[AUDIT_COLUMNS]


def _lone_cells(cells: pd.DataFrame, eqs: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """Secret cells alone in an equation."""
    secret = pd.Series(hidden[eqs["row"].to_numpy()], index=eqs.index)
    lone = secret.groupby(eqs["equation"]).transform("sum") == 1
    found = eqs[lone & secret]
    return cells.loc[found["row"], _KEY].assign(
        equation=_labels(eqs, found["equation"]).to_numpy(), raison=SEULE_INCONNUE)


def _pinned_cells(cells: pd.DataFrame, eqs: pd.DataFrame, hidden: np.ndarray) -> pd.DataFrame:
    """Secret cells whose interval, propagated through every equation, is a single value."""
    value = cells["valeur"].to_numpy(dtype=float)
    low = np.where(hidden, 0.0, value)
    high = np.where(hidden, np.inf, value)
    rows = eqs["row"].to_numpy()
    total = eqs["total"].to_numpy(dtype=bool)
    equation = eqs["equation"].to_numpy()
    for _ in range(_ROUNDS):
        new_low, new_high = _narrow(low[rows], high[rows], total, equation)
        bounds = pd.DataFrame({"row": rows, "low": new_low, "high": new_high})
        by_row = bounds.groupby("row").agg(low=("low", "max"), high=("high", "min"))
        index = by_row.index.to_numpy()
        next_low, next_high = low.copy(), high.copy()
        next_low[index] = np.maximum(low[index], by_row["low"].to_numpy())
        next_high[index] = np.minimum(high[index], by_row["high"].to_numpy())
        moved = (next_low > low + 1e-9).any() or (next_high < high - 1e-9).any()
        low, high = next_low, next_high
        if not moved:
            break
    pinned = hidden & np.isfinite(high) & np.isclose(low, high)
    pinned_rows = np.flatnonzero(pinned)
    first_equation = eqs.drop_duplicates("row").set_index("row")["equation"]
    return cells.loc[pinned_rows, _KEY].assign(
        equation=_labels(eqs, first_equation.reindex(pinned_rows)).to_numpy(), raison=BORNES)


def _labels(eqs: pd.DataFrame, equation: pd.Series) -> pd.Series:
    """``relation|row of the total`` of each equation identifier of ``equation``."""
    totals = eqs[eqs["total"]].drop_duplicates("equation").set_index("equation")
    relation = totals["relation"].astype(str).reindex(equation.to_numpy())
    return relation + "|" + totals["row"].reindex(equation.to_numpy()).astype(str)


def _narrow(low: np.ndarray, high: np.ndarray, total: np.ndarray,
            equation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds each equation member gets from the other members (total = sum of the parts)."""
    frame = pd.DataFrame({"equation": equation, "total": total, "low": low, "high": high})
    parts = frame[~total]
    part_low = parts.groupby("equation")["low"].sum()
    part_high_finite = parts["high"].where(np.isfinite(parts["high"]), 0.0) \
        .groupby(parts["equation"]).sum()
    part_high_inf = (~np.isfinite(parts["high"])).groupby(parts["equation"]).sum()
    totals = frame[total].set_index("equation")
    eq = pd.Index(equation)
    sum_low = part_low.reindex(eq).fillna(0.0).to_numpy()
    sum_high_finite = part_high_finite.reindex(eq).fillna(0.0).to_numpy()
    n_inf = part_high_inf.reindex(eq).fillna(0).to_numpy()
    total_low = totals["low"].reindex(eq).to_numpy()
    total_high = totals["high"].reindex(eq).to_numpy()
    own_inf = ~np.isfinite(high)
    others_inf = (n_inf - own_inf) > 0
    others_high = np.where(others_inf, np.inf,
                           sum_high_finite - np.where(own_inf, 0.0, high))
    others_low = sum_low - low
    part_lower = total_low - others_high  # −∞ when another part is unbounded
    part_upper = total_high - others_low
    total_upper = np.where(n_inf > 0, np.inf, sum_high_finite)
    return np.where(total, sum_low, part_lower), np.where(total, total_upper, part_upper)
