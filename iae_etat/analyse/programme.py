"""A linear program solved many times with different objectives (HiGHS, warm started).

The audit asks, over one system of published equations, for the minimum and the maximum of many
secret cells: the constraints stay, only the objective changes. ``scipy.optimize.linprog`` builds
and presolves the whole model at each call; here the model is passed to HiGHS once and each new
objective starts the primal simplex from the previous optimal basis, which is still feasible.
HiGHS is the copy that SciPy ships (``scipy.optimize._highspy``), so that no second solver is
installed.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize._highspy import _core as highs

_PRIMAL_SIMPLEX = 4  # HiGHS option ``simplex_strategy``


class Programme:
    """``min c·x`` subject to ``A x = b`` and ``0 ≤ x ≤ upper`` for successive ``c``."""

    def __init__(self, a_eq: sparse.spmatrix, b_eq: np.ndarray, upper: float = np.inf) -> None:
        matrix = sparse.csc_matrix(a_eq, dtype=float)
        matrix.sort_indices()
        rows, columns = matrix.shape
        lp = highs.HighsLp()
        lp.num_col_, lp.num_row_ = columns, rows
        lp.col_cost_ = np.zeros(columns)
        lp.col_lower_ = np.zeros(columns)
        lp.col_upper_ = np.full(columns, highs.kHighsInf if np.isinf(upper) else upper)
        lp.row_lower_ = np.asarray(b_eq, dtype=float)
        lp.row_upper_ = np.asarray(b_eq, dtype=float)
        lp.a_matrix_.format_ = highs.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = columns, rows
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        self._solver = highs._Highs()
        self._solver.setOptionValue("output_flag", False)
        self._solver.setOptionValue("random_seed", 0)
        self._solver.passModel(lp)
        self._cost = np.zeros(columns)

    def release(self, row: int) -> None:
        """Drop the equation ``row`` (its cell is hidden): its bounds become infinite, so that
        the last optimal basis stays feasible and the next objective starts from it."""
        self._solver.changeRowBounds(int(row), -highs.kHighsInf, highs.kHighsInf)

    def optimise(self, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The optimal ``x`` and the duals of the equations; None when unbounded."""
        cost = np.asarray(cost, dtype=float)
        changed = np.flatnonzero(cost != self._cost).astype(np.int32)  # a few columns each
        self._solver.changeColsCost(len(changed), changed, cost[changed])
        self._cost = cost.copy()
        for _attempt in range(2):
            self._solver.run()
            # the optimal basis stays feasible when only the cost changes: from the second
            # objective on, the primal simplex goes on from it (six times faster than the dual
            # simplex, which starts again from a basis no longer dual feasible)
            self._solver.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
            status = self._solver.getModelStatus()
            if status == highs.HighsModelStatus.kOptimal:
                solution = self._solver.getSolution()
                return np.asarray(solution.col_value), np.asarray(solution.row_dual)
            if status in (highs.HighsModelStatus.kUnbounded,
                          highs.HighsModelStatus.kUnboundedOrInfeasible):
                return None
            self._solver.clearSolver()  # start again from scratch once
        raise RuntimeError("audit du secret : programme linéaire non résolu "
                           f"({self._solver.modelStatusToString(status)})")
