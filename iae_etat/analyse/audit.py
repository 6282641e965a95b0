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

Each solution of a program, over the components of the equations it spans, is part of a table
compatible with the publication: the values it gives to the other secret cells lying wholly in
these components widen what is known of their intervals, so that most cells are proven protected
without a program of their own (``exact=True`` computes every minimum and maximum). A cell that
also spans other components gets nothing from it: zero there need not satisfy their equations.
A failure comes with the published cells whose equations bind the optimum (non-zero duals): the
candidates a coordinated suppression hides next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iae_etat.analyse import systemes
from iae_etat.analyse.modele import Block, blocks
from iae_etat.tables.digests import content_digest

DIVULGUEE = "valeur retrouvée exactement"
PROTECTION = "intervalle de protection non atteint"
_TOL = 1e-7
# The sweep (two programs over the whole block) pays for itself when a whole block of this many
# secret cells is audited; below, each cell's own programs cost less. A later round of the
# coordination audits only the failing cells, which need programs of their own anyway, and the
# cells hidden since, which the solutions of the others prove: no sweep then.
SWEEP_FROM = 100
# A failing cell has at most this many published cells hidden in its own programs (``hide``);
# beyond, the coordination's rounds take over.
HIDDEN_PER_CELL = 10


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
    masquees: tuple[int, ...] = ()  # published cells (positions) its audit hid (``hide``)


def audit_block(block: Block, cells: Cellules, protection: Protection,
                exact: bool = False, only: np.ndarray | None = None,
                first_failure: bool = False,
                hide: np.ndarray | None = None) -> list[Resultat]:
    """The secret cells of ``block``, each with its interval and verdict; with ``only`` (a
    boolean over all the cells) those it marks. With ``first_failure`` (the coordination,
    which needs the verdict and what binds it), a primary cell whose maximum falls short of
    its protection is not minimised: its ``bas`` is then a bound, not the minimum.

    With ``hide`` (the coordination: a boolean over all the cells), a failing cell has the
    published cells binding it hidden one at a time in its programs (their equations dropped),
    the smallest first among those ``hide`` marks, then among the others; the following cells
    of the block are audited without them. It holds at the end (or after ``HIDDEN_PER_CELL``)
    for any pattern that hides them too, which its ``masquees`` name."""
    positions = block.cells
    secret = cells.secret[positions]
    if not secret.any():
        return []
    published = cells.publie[positions]
    matrix = block.matrix
    published_pos = positions[published]
    published_rows = matrix[published]
    fixed, a_eq, b_eq, keep, origin = systemes.reduce_system(
        published_rows, block.links, cells.valeur[positions][published])
    hidden = np.flatnonzero(secret)
    full_rows = matrix[hidden]
    constant = full_rows @ np.nan_to_num(fixed)
    rows = full_rows[:, keep].tocsr()
    truth = cells.valeur[positions][hidden]
    seen_low, seen_high = truth.copy(), truth.copy()
    need_low, need_high = cells.besoins(protection, positions[hidden])
    whole = cells.entier[positions][hidden]
    component = systemes.components(a_eq, rows.shape[1])
    systems = systemes.Systems(a_eq, b_eq, rows, component)
    if not exact and only is None and a_eq.shape[1] and len(hidden) >= SWEEP_FROM:
        systems.sweep(constant, seen_low, seen_high)
    results = []
    order = np.argsort(-np.nan_to_num(need_high - truth, nan=0.0), kind="stable")
    if only is not None:
        order = order[only[positions[hidden[order]]]]
    bounds = need_low.tolist(), need_high.tolist(), whole.tolist()

    def holds(k: int) -> bool:
        return _holds(float(seen_low[k]), float(seen_high[k]), bounds[0][k], bounds[1][k],
                      bounds[2][k])

    def high_holds(k: int) -> bool:
        return _reaches(float(seen_high[k]), bounds[1][k], "haut")

    def bind(k: int) -> tuple[list[int], list[int]]:
        """The programs of cell ``k``: the published cells binding its optima (positions),
        and their equations."""
        binding: list[int] = []
        for sense in (-1.0, 1.0):
            if not exact and holds(k):
                break
            if not exact and sense == -1.0 and high_holds(k) \
                    and not _single(float(truth[k]), float(seen_high[k]), bounds[2][k]):
                continue  # the high side holds and the interval is already wider than a point
            system = systems.of(k)
            if system is None:  # every base cell of this one is fixed by the others
                break
            solved = system.solve(k, sense)
            if solved is None:  # unbounded: the cell can be as large (or small) as one likes
                (seen_high if sense == -1.0 else seen_low)[k] = np.inf * -sense
                continue
            inside, values, duals = solved
            values += constant[inside]
            seen_low[inside] = np.minimum(seen_low[inside], values)
            seen_high[inside] = np.maximum(seen_high[inside], values)
            binding += [int(e) for e in duals if origin[e] >= 0]
            if first_failure and sense == -1.0 and not np.isnan(need_high[k]) \
                    and not high_holds(k):
                break  # the maximum falls short of the protection: the cell fails anyway
        return [int(published_pos[origin[e]]) for e in binding], binding

    for k in order:
        binding, equations = bind(k)
        masked: list[int] = []
        while hide is not None and binding and not holds(k) and len(masked) < HIDDEN_PER_CELL:
            # hide the binding published cell losing least and solve again from the last basis
            chosen = least_lost(binding, cells.valeur, hide)
            masked.append(binding[chosen])
            for equation in np.flatnonzero(origin == origin[equations[chosen]]):
                systems.release(int(equation))
            binding, equations = bind(k)
        ok = holds(k)
        if not ok and not binding:  # pinned without a program: the published cells over it
            pins = systemes.pinning(full_rows[k], published_rows, block.links)
            binding = [int(p) for p in published_pos[pins]]
        exact_value = _single(float(seen_low[k]), float(seen_high[k]), bounds[2][k])
        raison = "" if ok else DIVULGUEE if exact_value else PROTECTION
        results.append(Resultat(int(positions[hidden[k]]), float(seen_low[k]),
                                float(seen_high[k]), bool(ok), raison,
                                tuple(dict.fromkeys(binding)) if not ok else (),
                                tuple(masked)))
    return sorted(results, key=lambda r: r.pos)


def block_digest(block: Block, cells: Cellules, protection: Protection, exact: bool = False,
                 only: np.ndarray | None = None, first_failure: bool = False,
                 hide: np.ndarray | None = None) -> str:
    """A digest of everything ``audit_block`` reads (same arguments): the block's equations and
    the arrays at its cells, not where its cells lie in the table, so that a block whose rows
    moved (a row added elsewhere) keeps its digest. Its verdicts are kept under it
    (``as_local``, ``placed``)."""
    positions = block.cells
    masks = [mask[positions] for mask in (only, hide) if mask is not None]
    return content_digest(protection, exact, first_failure, only is None, hide is None,
                          block.matrix.shape, block.matrix.indptr, block.matrix.indices,
                          block.matrix.data, block.links.shape, block.links.indptr,
                          block.links.indices, block.links.data, cells.valeur[positions],
                          cells.secret[positions], cells.publie[positions],
                          cells.primaire[positions], cells.effectif[positions], *masks)


def as_local(results: list[Resultat], block: Block) -> tuple[tuple, ...]:
    """The verdicts of ``block`` with positions among its cells (sorted), to be kept."""
    def local(positions) -> tuple[int, ...]:
        return tuple(np.searchsorted(block.cells, positions).tolist())

    return tuple((local([r.pos])[0], r.bas, r.haut, r.ok, r.raison, local(r.liants),
                  local(r.masquees)) for r in results)


def placed(kept: tuple[tuple, ...], block: Block) -> list[Resultat]:
    """The verdicts ``as_local`` kept, at the positions of ``block``'s cells."""
    cells = block.cells
    return [Resultat(int(cells[pos]), bas, haut, ok, raison,
                     tuple(int(cells[p]) for p in liants), tuple(int(cells[p]) for p in masquees))
            for pos, bas, haut, ok, raison, liants, masquees in kept]


def least_lost(binding: list[int], values: np.ndarray, first: np.ndarray) -> int:
    """Which of the ``binding`` published cells (positions) to hide: among those ``first``
    marks if any, a positive value before a zero, the smallest, then the first position."""
    return min(range(len(binding)), key=lambda i: (
        not first[binding[i]], values[binding[i]] <= 0, values[binding[i]], binding[i]))


def _single(low: float, high: float, whole: bool) -> bool:
    """The interval holds one value (one integer for a count); never an unbounded one."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    if whole:
        return math.floor(high + 1e-6) - math.ceil(low - 1e-6) < 1
    return high - low <= _TOL * max(1.0, abs(high))


def _reaches(seen: float, need: float, side: str) -> bool:
    """The interval reaches ``need`` on its ``side`` (never when nothing is needed)."""
    if math.isnan(need):
        return False
    margin = _TOL * max(1.0, abs(need))
    return seen >= need - margin if side == "haut" else seen <= need + margin


def _holds(low: float, high: float, need_low: float, need_high: float, whole: bool) -> bool:
    if _single(low, high, whole):
        return False
    if math.isnan(need_low):
        return True
    return _reaches(low, need_low, "bas") and _reaches(high, need_high, "haut")


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
