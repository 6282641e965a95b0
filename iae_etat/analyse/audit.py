"""Audit of statistical secrecy by linear programming (pure functions).

The attacker knows every published figure and the linear model of the publication (``modele``):
every published count or amount is a sum of non-negative base cells. For each secret cell the
audit looks for the values the cell can take given all of it, by linear programs solved with
HiGHS (``programme``: the copy SciPy ships, warm started), as τ-Argus and sdcTable do:

- a secret cell is disclosed when its feasible interval holds a single value (a single integer
  for a count of people);
- a primary cell must keep its protection interval: the attacker must not be able to exclude
  ``valeur − protection`` (or zero) nor ``valeur + protection`` for a count (``protection`` in
  people), ``valeur × (1 ± part)`` for an amount.

Each solution of a program is a whole table compatible with the publication: the values it gives
to the other secret cells widen what is known of their intervals, so that most cells are proven
protected without a program of their own (``exact=True`` computes every minimum and maximum).
A failure comes with the published cells whose equations bind the optimum (non-zero duals): the
candidates a coordinated suppression hides next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from iae_etat.analyse.modele import Block, blocks
from iae_etat.analyse.programme import Programme

DIVULGUEE = "valeur retrouvée exactement"
PROTECTION = "intervalle de protection non atteint"
_TOL = 1e-7
# The sweep (two programs over the whole block) pays for itself from this many cells to audit;
# below, each cell's own programs cost less (a round of the coordination often audits a few).
SWEEP_FROM = 100


@dataclass(frozen=True)
class Protection:
    """The protection interval of the primary cells: ``effectifs`` people either side of a
    count, a share ``montants`` of an amount either side."""

    effectifs: float = 11.0
    montants: float = 0.10


@dataclass
class Cellules:
    """The arrays the audit works on, aligned on the rows of one diffusion of the table."""

    valeur: np.ndarray          # the true value (restreinte)
    secret: np.ndarray          # hidden in the publique rows
    publie: np.ndarray          # published (a number the outsider reads)
    primaire: np.ndarray        # primary secret (needs its protection interval)
    effectif: np.ndarray        # a count of people (integral)
    entier: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        value = np.nan_to_num(self.valeur)
        self.entier = self.effectif & np.isclose(value, np.round(value))

    def besoins(self, protection: Protection,
                where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper values the interval of each cell ``where`` (positions) must reach
        (NaN: none, not a primary cell)."""
        value, count, primary = self.valeur[where], self.effectif[where], self.primaire[where]
        low = np.where(count, np.maximum(value - protection.effectifs, 0.0),
                       value * (1 - protection.montants))
        high = np.where(count, value + protection.effectifs, value * (1 + protection.montants))
        return np.where(primary, low, np.nan), np.where(primary, high, np.nan)


@dataclass
class Resultat:
    """One secret cell: what the audit knows of its interval and whether it holds."""

    pos: int
    bas: float
    haut: float
    ok: bool
    raison: str
    liants: tuple[int, ...] = ()   # published cells (positions) binding a failing optimum


def audit_block(block: Block, cells: Cellules, protection: Protection,
                exact: bool = False, only: np.ndarray | None = None,
                first_failure: bool = False) -> list[Resultat]:
    """The secret cells of ``block``, each with its interval and verdict; with ``only`` (a
    boolean over all the cells) those it marks. With ``first_failure`` (the coordination,
    which needs the verdict and what binds it), a primary cell whose maximum falls short of
    its protection is not minimised: its ``bas`` is then a bound, not the minimum."""
    positions = block.cells
    secret = cells.secret[positions]
    if not secret.any():
        return []
    published = cells.publie[positions]
    matrix = block.matrix
    published_pos = positions[published]
    published_rows = matrix[published]
    fixed, a_eq, b_eq, keep, origin = reduce_system(published_rows, block.links,
                                                    cells.valeur[positions][published])
    hidden = np.flatnonzero(secret)
    full_rows = matrix[hidden]
    constant = full_rows @ np.nan_to_num(fixed)
    rows = full_rows[:, keep].tocsr()
    truth = cells.valeur[positions][hidden]
    seen_low, seen_high = truth.copy(), truth.copy()
    need_low, need_high = cells.besoins(protection, positions[hidden])
    whole = cells.entier[positions][hidden]
    component = _components(a_eq, rows.shape[1])
    audited = len(hidden) if only is None else int(only[positions[hidden]].sum())
    if not exact and a_eq.shape[1] and audited >= SWEEP_FROM:
        _sweep(rows, constant, a_eq, b_eq, component, seen_low, seen_high)
    programmes: dict = {}
    results = []
    order = np.argsort(-np.nan_to_num(need_high - truth, nan=0.0), kind="stable")
    if only is not None:
        order = order[only[positions[hidden[order]]]]
    for k in order:
        binding: list[int] = []
        for sense in (-1.0, 1.0):
            if not exact and _holds(k, seen_low, seen_high, need_low, need_high, whole):
                break
            if not exact and sense == -1.0 and _side_ok(seen_high[k], need_high[k], truth[k],
                                                         "haut") \
                    and not _single(truth[k], seen_high[k], whole[k]):
                continue  # the high side holds and the interval is already wider than a point
            objective = rows[k].toarray().ravel()
            if not objective.any():  # every base cell of this one is fixed by the others
                break
            solved = _solve(sense * objective, a_eq, b_eq, component, objective != 0,
                            programmes)
            if solved is None:  # unbounded: the cell can be as large as one likes
                seen_high[k] = np.inf
                continue
            x, duals = solved
            solution = constant + rows @ x
            seen_low = np.minimum(seen_low, solution)
            seen_high = np.maximum(seen_high, solution)
            binding += [int(published_pos[o]) for o in origin[np.abs(duals) > 1e-9] if o >= 0]
            if first_failure and sense == -1.0 and not np.isnan(need_high[k]) \
                    and not _side_ok(seen_high[k], need_high[k], truth[k], "haut"):
                break  # the maximum falls short of the protection: the cell fails anyway
        ok = _holds(k, seen_low, seen_high, need_low, need_high, whole)
        if not ok and not binding:  # pinned without a program: the published cells over it
            binding = [int(p) for p in published_pos[_over(full_rows[k], published_rows,
                                                           block.links)]]
        exact_value = _single(seen_low[k], seen_high[k], whole[k])
        raison = "" if ok else DIVULGUEE if exact_value else PROTECTION
        results.append(Resultat(int(positions[hidden[k]]), float(seen_low[k]),
                                float(seen_high[k]), bool(ok), raison,
                                tuple(dict.fromkeys(binding)) if not ok else ()))
    return sorted(results, key=lambda r: r.pos)


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


def _over(cell: sparse.csr_matrix, published: sparse.csr_matrix,
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


def _components(a_eq: sparse.csr_matrix, size: int) -> np.ndarray:
    """The connected component of each free base cell through the remaining equations."""
    if size == 0:
        return np.zeros(0, dtype=int)
    incidence = a_eq.copy()
    incidence.data[:] = 1.0
    adjacency = (incidence.T @ incidence).tocsr()
    return connected_components(adjacency, directed=False)[1]


def _solve(objective: np.ndarray, a_eq: sparse.csr_matrix, b_eq: np.ndarray,
           component: np.ndarray, touched: np.ndarray,
           programmes: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """Optimise ``objective`` over the components it touches; the whole solution (other
    variables 0: their value does not matter) and the duals of every equation. None when
    unbounded. ``programmes`` keeps the program of each set of components, warm started."""
    key = tuple(np.unique(component[touched]))
    if key not in programmes:
        columns = np.flatnonzero(np.isin(component, key))
        sub = a_eq[:, columns].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        programmes[key] = (columns, rows, Programme(sub[rows], b_eq[rows]))
    columns, rows, programme = programmes[key]
    solved = programme.optimise(objective[columns])
    if solved is None:
        return None
    x = np.zeros(len(objective))
    x[columns] = solved[0]
    duals = np.zeros(len(b_eq))
    duals[rows] = solved[1]
    return x, duals


def _sweep(rows: sparse.csr_matrix, constant: np.ndarray, a_eq: sparse.csr_matrix,
           b_eq: np.ndarray, component: np.ndarray, seen_low: np.ndarray,
           seen_high: np.ndarray) -> None:
    """Two programs that push every secret cell up, then down, at once (fixed pseudo-random
    weights, so that the vertices differ): their solutions widen most intervals, leaving few
    cells that need a program of their own."""
    weights = np.random.default_rng(0).uniform(0.5, 1.5, rows.shape[0])
    objective = np.asarray(rows.T @ weights).ravel()
    touched = objective != 0
    if not touched.any():
        return
    # an unbounded direction says nothing of any one cell: cap every base cell by the largest
    # published value, which keeps the program bounded without cutting any true table
    cap = float(np.max(np.abs(b_eq), initial=1.0)) * 10 + 1
    inside = np.isin(component, np.unique(component[touched]))
    columns = np.flatnonzero(inside)
    sub = a_eq[:, columns].tocsr()
    live = np.flatnonzero(np.diff(sub.indptr) > 0)
    programme = Programme(sub[live], b_eq[live], upper=cap)
    for sense in (-1.0, 1.0):
        solved = programme.optimise(sense * objective[columns])
        if solved is None:
            continue
        x = np.zeros(len(objective))
        x[columns] = solved[0]
        solution = constant + rows @ x
        np.minimum(seen_low, solution, out=seen_low)
        np.maximum(seen_high, solution, out=seen_high)


def _single(low: float, high: float, whole: bool) -> bool:
    """The interval holds one value (one integer for a count); never an unbounded one."""
    if not np.isfinite(high):
        return False
    if whole:
        return np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1
    return high - low <= _TOL * max(1.0, abs(high))


def _side_ok(seen: float, need: float, truth: float, side: str) -> bool:
    if np.isnan(need):
        return False
    return seen >= need - _TOL * max(1.0, abs(need)) if side == "haut" \
        else seen <= need + _TOL * max(1.0, abs(need))


def _holds(k: int, low: np.ndarray, high: np.ndarray, need_low: np.ndarray,
           need_high: np.ndarray, whole: np.ndarray) -> bool:
    if _single(low[k], high[k], whole[k]):
        return False
    if np.isnan(need_low[k]):
        return True
    return _side_ok(low[k], need_low[k], 0.0, "bas") and _side_ok(high[k], need_high[k], 0.0,
                                                                  "haut")


def audit(blocks: list[Block], cells: Cellules, protection: Protection,
          exact: bool = False) -> list[Resultat]:
    """Every secret cell of every block (a cell in several blocks is not: blocks partition)."""
    out = []
    for block in blocks:
        out += audit_block(block, cells, protection, exact)
    return out


def summary(results: list[Resultat], cells: Cellules) -> dict:
    """Counts for ``build.json`` and the method annex."""
    failures = [r for r in results if not r.ok]
    return {"cellules_secretes": len(results),
            "primaires": int(sum(cells.primaire[r.pos] for r in results)),
            "divulguees": sum(r.raison == DIVULGUEE for r in failures),
            "protection_insuffisante": sum(r.raison == PROTECTION for r in failures),
            "reussi": not failures}


def as_frame(results: list[Resultat], keys: pd.DataFrame) -> pd.DataFrame:
    """The results with the keys of their cells (``keys`` aligned on the positions)."""
    frame = pd.DataFrame([{"pos": r.pos, "bas": r.bas, "haut": r.haut, "ok": r.ok,
                           "raison": r.raison} for r in results],
                         columns=["pos", "bas", "haut", "ok", "raison"])
    return pd.concat([keys.iloc[frame["pos"].to_numpy()].reset_index(drop=True),
                      frame.drop(columns="pos")], axis=1)


_KEY = ["niveau", "code", "indicateur", "type_siae", "public"]


def audit_secret(published: pd.DataFrame, territoires: pd.DataFrame, indicateurs: set[str],
                 sommes: dict[str, tuple[str, ...]] | None = None,
                 primary: pd.Series | None = None,
                 protection: Protection = Protection(0.0, 0.0),
                 effectifs: set[str] | None = None, exact: bool = False) -> pd.DataFrame:
    """The outsider's attack on a table of both diffusions (the output of ``apply_secret``):
    the secret cells of the ``publique`` rows of ``indicateurs`` that the linear programs
    recover, or narrow inside their protection interval when ``primary`` (a boolean over the
    keys ``niveau, code, indicateur, type_siae, public``) says which are primary. Returns the
    failures (keys, ``bas``, ``haut``: their exact minimum and maximum, ``raison``).

    The verdict is the same with ``exact`` or without: the sweep only proves cells safe with
    tables that satisfy every published figure, and every cell it does not prove gets its own
    minimum and maximum; ``exact`` computes them for every cell (two programs each)."""
    public = published[published["diffusion"] == "publique"]
    truth = published.loc[published["diffusion"] == "restreinte", [*_KEY, "valeur"]]
    method = ["methode"] if "methode" in public.columns else []
    cells = public[[*_KEY, "statut", *method]].merge(truth, on=_KEY, validate="1:1")
    cells = cells[cells["indicateur"].isin(indicateurs) & cells["valeur"].notna()] \
        .reset_index(drop=True)
    secret = (cells["statut"] == "s").to_numpy()
    first = pd.MultiIndex.from_frame(cells[_KEY].astype(str))
    is_primary = np.zeros(len(cells), bool) if primary is None else \
        primary.reindex(first).fillna(False).to_numpy(dtype=bool) & secret
    counts = cells["indicateur"].isin(effectifs if effectifs is not None else indicateurs)
    state = Cellules(cells["valeur"].to_numpy(float), secret, ~secret, is_primary,
                     counts.to_numpy())
    results = audit(blocks(cells, territoires, sommes), state, protection, exact=exact)
    frame = as_frame(results, cells[_KEY])
    return frame[~frame["ok"]].drop(columns="ok").reset_index(drop=True)
