"""The published equations of one block as linear systems over its free base cells (pure).

``reduce_system`` draws what the published cells give away without a program; the equations left
fall into independent components, each set of components a secret cell spans being one program
(``Systems``), solved many times warm started; ``Systems.sweep`` pushes every secret cell at
once.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from iae_etat.analyse.programme import Programme


def reduce_system(published: sparse.csr_matrix, links: sparse.csr_matrix,
                  values: np.ndarray) -> tuple[np.ndarray, ...]:
    """What the published equations give away without a program: a published zero makes
    every base cell under it zero (unless a remainder enters it with a minus sign), an
    equation left with one unknown fixes it. Returns the fixed values (NaN where free), the
    remaining system over the free base cells (``keep``) and, for each remaining equation,
    its published row (-1 for a link)."""
    system = sparse.vstack([published, links]).tocsr()
    rhs = np.concatenate([values, np.zeros(links.shape[0])])
    signed = np.concatenate([np.ones(published.shape[0], bool), np.zeros(links.shape[0], bool)])
    fixed = np.full(system.shape[1], np.nan)
    while True:
        free = np.isnan(fixed)
        rest = rhs - system[:, ~free] @ fixed[~free]
        open_part = system[:, free].tocsr()
        count = np.diff(open_part.indptr)
        columns = np.flatnonzero(free)
        # a sum of non-negative cells that is zero makes each of them zero; a remainder
        # entering with a minus sign (``modele.RESTES``) may offset a part
        negative = np.asarray((open_part < 0).sum(axis=1)).ravel()
        zero = signed & (count > 0) & (negative == 0) \
            & (np.abs(rest) <= 1e-9 * np.maximum(1, np.abs(rhs)))
        changed = False
        if zero.any():
            fixed[columns[np.unique(open_part[zero].indices)]] = 0.0
            changed = True
        single = (count == 1) & ~zero
        if single.any():
            sub = open_part[single]
            fixed[columns[sub.indices]] = rest[single] / sub.data
            changed = True
        if not changed:
            break
    free = np.isnan(fixed)
    rest = rhs - system[:, ~free] @ fixed[~free]
    remaining = system[:, free].tocsr()
    live = np.diff(remaining.indptr) > 0
    origin = np.where(np.arange(len(rhs)) < published.shape[0], np.arange(len(rhs)), -1)
    return fixed, remaining[live], rest[live], free, origin[live]


def pinning(cell: sparse.csr_matrix, published: sparse.csr_matrix,
          links: sparse.csr_matrix) -> np.ndarray:
    """The published rows that pin ``cell`` (one row over the base cells) without a program:
    those over its base cells, and those over the base cells tied to them by the equations
    total = Σ parts (a part fixed because its total and the other parts are published)."""
    reach = cell.toarray().ravel() != 0
    while links.shape[0]:
        touched = np.asarray(links[:, reach].sum(axis=1)).ravel() != 0
        wider = reach | (np.asarray(abs(links[touched]).sum(axis=0)).ravel() != 0)
        if (wider == reach).all():
            break
        reach = wider
    return np.flatnonzero(np.asarray(published[:, reach].sum(axis=1)).ravel() != 0)


def components(a_eq: sparse.csr_matrix, size: int) -> np.ndarray:
    """The connected component of each free base cell through the remaining equations."""
    if size == 0:
        return np.zeros(0, dtype=int)
    # the graph of equations and base cells, an edge per coefficient (a product of the
    # incidence by its transpose would link every pair of cells of an equation)
    incidence = sparse.csr_matrix((np.ones(a_eq.nnz), a_eq.indices, a_eq.indptr),
                                  shape=a_eq.shape)
    graph = sparse.bmat([[None, incidence], [incidence.T, None]], format="csr")
    labels = connected_components(graph, directed=False)[1][a_eq.shape[0]:]
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


class System:
    """The remaining equations of some components, as one program, and the secret cells whose
    free base cells all lie in them: a solution of the program, completed by any solution of
    the other components, is a table compatible with the publication, which gives these cells
    (and only these) a value each."""

    def __init__(self, equations: np.ndarray, programme: Programme, columns: np.ndarray,
                 cells: np.ndarray, rows: sparse.csr_matrix) -> None:
        """``programme`` over the ``equations`` and ``columns`` (sorted: the free base cells of
        the components), ``cells`` (sorted) the secret cells lying wholly in them."""
        self.equations, self.programme, self.cells = equations, programme, cells
        self.rows = _renumbered(sparse.csr_matrix, rows[cells], columns)

    def solve(self, cell: int, sense: float) -> tuple[np.ndarray, ...] | None:
        """Push ``cell`` down (``sense`` −1: maximise) or up; the cells inside, their values
        over the free base cells, and the equations with a non-zero dual. None: unbounded."""
        row = int(np.searchsorted(self.cells, cell))
        start, end = self.rows.indptr[row], self.rows.indptr[row + 1]
        objective = np.zeros(self.rows.shape[1])
        objective[self.rows.indices[start:end]] = self.rows.data[start:end]
        solved = self.programme.optimise(sense * objective)
        if solved is None:
            return None
        x, duals = solved
        return self.cells, self.rows @ x, self.equations[np.abs(duals) > 1e-9]


class Systems:
    """The programs of one block, one per set of components a secret cell spans, built when a
    cell first needs one and then warm started."""

    def __init__(self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, rows: sparse.csr_matrix,
                 component: np.ndarray) -> None:
        self._a_eq, self._b_eq, self._rows, self._component = a_eq.tocsc(), b_eq, rows, component
        self._by_component = np.argsort(component, kind="stable")
        self._sorted_component = component[self._by_component]
        spans = component[rows.indices]
        spanning = np.diff(rows.indptr) > 0
        self._first = np.full(rows.shape[0], -1)
        self._last = np.full(rows.shape[0], -1)
        if spanning.any():  # rows with base cells: consecutive starts delimit each of them
            starts = rows.indptr[:-1][spanning]
            self._first[spanning] = np.minimum.reduceat(spans, starts)
            self._last[spanning] = np.maximum.reduceat(spans, starts)
        self._by_first = np.argsort(self._first, kind="stable")
        self._sorted_first = self._first[self._by_first]
        self._systems: dict[tuple[int, ...], System] = {}
        self._released: list[int] = []

    def release(self, equation: int) -> None:
        """Drop ``equation`` from every program, built or to come (its cell is hidden)."""
        self._released.append(equation)
        for system in self._systems.values():
            _release(system.programme, system.equations, [equation])

    def _program(self, columns: np.ndarray,
                 upper: float = np.inf) -> tuple[np.ndarray, Programme]:
        """The equations over ``columns`` (sorted) and their program."""
        sub = self._a_eq[:, columns]
        equations = np.unique(sub.indices)
        return equations, Programme(_renumbered(sparse.csc_matrix, sub, equations),
                                    self._b_eq[equations], upper=upper)

    def _of_components(self, components) -> np.ndarray:
        """The free base cells of ``components``, sorted."""
        return np.sort(_having(self._by_component, self._sorted_component, components))

    def _key(self, cell: int) -> tuple[int, ...]:
        span = self._rows.indices[self._rows.indptr[cell]:self._rows.indptr[cell + 1]]
        return tuple(np.unique(self._component[span]).tolist())

    def of(self, cell: int) -> System | None:
        """The program over the components ``cell`` spans (None: it spans none)."""
        if self._first[cell] < 0:
            return None
        key = (int(self._first[cell]),) if self._first[cell] == self._last[cell] \
            else self._key(cell)
        if key not in self._systems:
            candidates = _having(self._by_first, self._sorted_first, key)
            candidates = candidates[np.isin(self._last[candidates], key)]
            alone = self._first[candidates] == self._last[candidates]
            spread = [c for c in candidates[~alone] if set(self._key(c)) <= set(key)]
            inside = np.sort(np.concatenate([candidates[alone],
                                             np.asarray(spread, dtype=candidates.dtype)]))
            columns = self._of_components(key)
            system = System(*self._program(columns), columns, inside, self._rows)
            _release(system.programme, system.equations, self._released)
            self._systems[key] = system
        return self._systems[key]

    def sweep(self, constant: np.ndarray, seen_low: np.ndarray, seen_high: np.ndarray) -> None:
        """Two programs that push every secret cell up, then down, at once (fixed
        pseudo-random weights, so that the vertices differ): their solutions widen most
        intervals (``constant`` + rows @ x), leaving few cells that need a program of their
        own."""
        rows = self._rows
        if not rows.nnz:
            return
        weights = np.random.default_rng(0).uniform(0.5, 1.5, rows.shape[0])
        objective = np.asarray(rows.T @ weights).ravel()
        # every base cell of a secret cell, even one whose weights cancel out in the objective
        columns = self._of_components(np.unique(self._component[rows.indices]))
        # an unbounded direction says nothing of any one cell: cap every base cell by the
        # largest published value, which keeps the program bounded without cutting any true
        # table
        cap = float(np.max(np.abs(self._b_eq), initial=1.0)) * 10 + 1
        programme = self._program(columns, upper=cap)[1]
        for sense in (-1.0, 1.0):
            solved = programme.optimise(sense * objective[columns])
            if solved is None:
                continue
            x = np.zeros(len(objective))
            x[columns] = solved[0]
            solution = constant + rows @ x
            np.minimum(seen_low, solution, out=seen_low)
            np.maximum(seen_high, solution, out=seen_high)


def _release(programme: Programme, equations: np.ndarray, released: list[int]) -> None:
    """Drop from ``programme`` (over ``equations``, sorted) those of ``released`` it holds."""
    for equation in released:
        row = int(np.searchsorted(equations, equation))
        if row < len(equations) and equations[row] == equation:
            programme.release(row)


def _having(order: np.ndarray, sorted_values: np.ndarray, wanted) -> np.ndarray:
    """The positions (``order`` sorts the values into ``sorted_values``) whose value is one
    of ``wanted``."""
    return np.concatenate([order[np.searchsorted(sorted_values, value):
                                 np.searchsorted(sorted_values, value, side="right")]
                           for value in wanted])


def _renumbered(kind, matrix: sparse.spmatrix, kept: np.ndarray) -> sparse.spmatrix:
    """``matrix`` (CSR or CSC, of ``kind``) with its minor indices renumbered among ``kept``
    (sorted, holding every index it uses): its minor axis cut down to them."""
    shape = (matrix.shape[0], len(kept)) if kind is sparse.csr_matrix \
        else (len(kept), matrix.shape[1])
    return kind((matrix.data, np.searchsorted(kept, matrix.indices), matrix.indptr),
                shape=shape)
