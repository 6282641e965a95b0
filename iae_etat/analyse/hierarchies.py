"""The additive equations of the published table closed over a secret pattern (pure).

Secondary rule of the hierarchies: an equation (a territory and its parts, the ``ensemble`` kind
and the kinds, a total indicator and its parts) may not hold exactly one secret cell, for it
could be solved; ``Hierarchies.close`` hides another cell of it until none does. The equations
come from ``secret.equations``; the coordination (``coordination``) closes again after each
round of its audit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Hierarchies:
    """The additive equations of a table, prepared once to close many secret patterns.

    Closing hides, in every equation left with a single secret cell, its smallest non-zero open
    part, else its total. ``need`` (aligned on ``data``, zero where none) is the width a primary
    cell's protection interval asks for: its partner is then the smallest part at least that
    large, else the total (the protection is sought one level up), else the largest part; and
    where the other hidden parts of its equation cannot make up that width, one more is hidden
    (``_short_of_protection``). Equations are integer codes and membership arrays; each pass
    looks only at the equations whose members changed, so that a national table (millions of
    equation rows) closes in a few passes, and closing again after a few more cells are hidden
    costs what those cells touch.
    """

    def __init__(self, data: pd.DataFrame, eqs: pd.DataFrame,
                 need: np.ndarray | None = None) -> None:
        self.value = data["valeur"].to_numpy(dtype=float, na_value=np.nan)
        self.need = np.zeros(len(data)) if need is None else np.nan_to_num(need)
        self.with_need = need is not None
        # 32-bit positions and orders: a national table has some 18 million members; under a
        # plain range index, the rows are the positions
        rows, index = eqs["row"].to_numpy(), data.index
        position = rows.astype(np.int32, copy=False) \
            if index.equals(pd.RangeIndex(len(index))) \
            else index.get_indexer(rows).astype(np.int32)
        known = np.flatnonzero(~np.isnan(self.value[position])).astype(np.int32)
        identifier = eqs["equation"].to_numpy()[known]
        by_equation = np.argsort(identifier, kind="stable").astype(np.int32)
        identifier = identifier[by_equation]
        # the members, grouped by equation (numbered 0, 1…): those of equation e are
        # start[e]:start[e + 1], in the order of ``eqs``
        self.equation = np.cumsum(np.concatenate([[False], identifier[1:] != identifier[:-1]]),
                                  dtype=np.int32)
        del identifier
        by_equation = known[by_equation]
        del known
        self.position = position[by_equation]
        del position
        self.total = eqs["total"].to_numpy(dtype=bool)[by_equation]
        del by_equation
        self.count = int(self.equation.max()) + 1 if len(self.equation) else 0
        self.start = np.searchsorted(self.equation, np.arange(self.count + 1, dtype=np.int32))
        # the equations of each cell: those of row r are of_cell[cell_start[r]:cell_start[r + 1]]
        by_cell = np.argsort(self.position, kind="stable")
        self.of_cell = self.equation[by_cell]
        self.cell_start = np.searchsorted(self.position[by_cell],
                                          np.arange(len(data) + 1, dtype=np.int32))

    def close(self, hidden: np.ndarray, new: np.ndarray | None = None) -> np.ndarray:
        """``hidden`` (a boolean over the rows) closed; with ``new`` (rows hidden since a
        closed pattern) only the equations those rows enter are looked at first."""
        hidden = np.array(hidden, dtype=bool)
        touched = np.arange(self.count) if new is None else self._equations_of(new)
        unchecked = np.zeros(self.count, dtype=bool)  # changed since the protection check
        unchecked[touched] = True
        while True:
            added = self._lone(hidden, touched)
            if not len(added) and self.with_need:
                touched = np.flatnonzero(unchecked)
                unchecked[:] = False
                added = self._short_of_protection(hidden, touched)
            if not len(added):
                return hidden  # no lone secret left (or only zero parts open)
            hidden[added] = True
            touched = self._equations_of(added)
            unchecked[touched] = True

    def _equations_of(self, rows: np.ndarray) -> np.ndarray:
        return np.unique(self.of_cell[_ranges(self.cell_start, np.asarray(rows))])

    def _lone(self, hidden: np.ndarray, touched: np.ndarray) -> np.ndarray:
        """The rows to hide in the ``touched`` equations left with a single secret cell."""
        members, equation, count = self._members(touched)
        position, total = self.position[members], self.total[members]
        member = hidden[position]
        lone = (np.bincount(equation[member], minlength=count) == 1)[equation]
        lone_secret = np.flatnonzero(lone & member)
        wanted = np.zeros(count)
        wanted[equation[lone_secret]] = self.need[position[lone_secret]]
        open_cells = lone & ~member
        parts, value = self._positive(np.flatnonzero(open_cells & ~total), position)
        enough = value >= wanted[equation[parts]]
        chosen = _smallest(parts[enough], value[enough], equation)
        served = np.zeros(count, dtype=bool)
        served[equation[chosen]] = True
        rest = np.flatnonzero(open_cells & total & ~served[equation])
        served[equation[rest]] = True
        short = ~served[equation[parts]]  # no part large enough and the total hidden
        largest = _smallest(parts[short], -value[short], equation)
        return position[np.concatenate([chosen, rest, largest])]

    def _short_of_protection(self, hidden: np.ndarray, touched: np.ndarray) -> np.ndarray:
        """Rows to hide where a primary part cannot rise by its protection: with the total
        published, a part rises only as much as the other hidden parts of its equation can
        fall (their sum). The smallest open part covering the shortfall, else the total."""
        members, equation, count = self._members(touched)
        position, total = self.position[members], self.total[members]
        member = hidden[position]
        published_total = np.zeros(count, dtype=bool)
        published_total[equation[total & ~member]] = True
        hidden_part = np.flatnonzero(member & ~total)
        in_equation = equation[hidden_part]
        value = self.value[position[hidden_part]]
        need = self.need[position[hidden_part]]
        hidden_sum = np.bincount(in_equation, weights=value, minlength=count)
        primary = (need > 0) & published_total[in_equation]
        shortfall = np.zeros(count)
        np.maximum.at(shortfall, in_equation[primary],
                      (need - (hidden_sum[in_equation] - value))[primary])
        short = shortfall > 1e-9
        if not short.any():
            return np.array([], dtype=np.int64)
        parts, value = self._positive(np.flatnonzero(short[equation] & ~member & ~total),
                                      position)
        enough = value >= shortfall[equation[parts]]
        chosen = _smallest(parts[enough], value[enough], equation)
        served = np.zeros(count, dtype=bool)
        served[equation[chosen]] = True
        totals = np.flatnonzero(short[equation] & total & ~member & ~served[equation])
        return position[np.concatenate([chosen, totals])]

    def _positive(self, members: np.ndarray,
                  position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ``members`` whose cell has a positive value, and those values."""
        value = self.value[position[members]]
        positive = value > 0
        return members[positive], value[positive]

    def _members(self, equations: np.ndarray) -> tuple[np.ndarray | slice, np.ndarray, int]:
        """The members of ``equations`` (sorted), their equation numbered from 0, the count;
        every member as a slice when ``equations`` are all of them (no copy)."""
        if len(equations) == self.count:
            return slice(None), self.equation, self.count
        members = _ranges(self.start, equations)
        sizes = self.start[equations + 1] - self.start[equations]
        return members, np.repeat(np.arange(len(equations)), sizes), len(equations)


def _ranges(start: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The indices ``start[g]:start[g + 1]`` of every group of ``groups``, concatenated."""
    first, sizes = start[groups], start[groups + 1] - start[groups]
    offsets = np.repeat(first - np.cumsum(sizes) + sizes, sizes)
    return offsets + np.arange(int(sizes.sum()))


def _smallest(members: np.ndarray, key: np.ndarray, equation: np.ndarray) -> np.ndarray:
    """The member of ``members`` with the smallest ``key`` (aligned on ``members``) in each
    equation (``equation``: that of every member)."""
    if not len(members):
        return np.array([], dtype=np.int64)
    return pd.Series(key, index=members).groupby(equation[members]).idxmin() \
        .to_numpy(dtype=np.int64)
