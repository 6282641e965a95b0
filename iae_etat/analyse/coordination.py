"""Coordinated secondary suppression over every published grid, driven by the LP audit (pure).

The equations of each hierarchy (``hierarchies.Hierarchies``) hide, cheaply, a second cell
wherever an equation would hold a single secret one (for a primary cell, one large enough for
its protection interval). Grids that do not nest (EPCI, CLPE, zones d'emploi, arrondissements) and
territories published under several codes are then checked by the audit of ``audit``: every
cell the outsider could recompute, or narrow inside its protection interval, makes the audit
name the published cells whose equations bind it; the smallest of them (the least information
lost) is hidden (after ``ROUNDS_ONE_BY_ONE`` rounds, all of them), the hierarchies are closed
again, and the audit runs anew on the systems that changed, for their failing and newly hidden
cells (hiding more only widens the intervals already proven), until it passes or nothing is
left to hide.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iae_etat.analyse import audit, modele
from iae_etat.common.apart import Child
from iae_etat.common.machine import available_cores, release_memory

MAX_ROUNDS = 200
# After this many rounds, a failing cell gets every published cell binding it hidden at once:
# the last failures of a national table come one by one, each hidden cell pinning another.
ROUNDS_ONE_BY_ONE = 10
# Blocks audited side by side, in processes: the Python around each of the 200 000 small linear
# programs of a national table takes as long as HiGHS, and threads would run it one at a time.
WORKERS = min(4, available_cores())


@dataclass
class Coordination:
    """The outcome: the secret cells (over the whole table) and the audit's last verdicts."""

    secret: np.ndarray
    resultats: list[audit.Resultat]
    cellules: audit.Cellules
    cles: pd.DataFrame
    tours: int

    def summary(self) -> dict:
        return {**audit.summary(self.resultats, self.cellules), "tours": self.tours}

    def failures(self) -> pd.DataFrame:
        failing = [r for r in self.resultats if not r.ok]
        if not failing:
            return pd.DataFrame(columns=[*self.cles.columns, "bas", "haut", "raison"])
        frame = audit.as_frame(failing, self.cles)
        return frame[~frame["ok"]].drop(columns="ok").reset_index(drop=True)


def coordinate(data: pd.DataFrame, secret: np.ndarray, primary: np.ndarray, audited: np.ndarray,
               effectifs: np.ndarray, territoires: pd.DataFrame, hierarchies,
               sommes: dict[str, tuple[str, ...]] | None, protection: audit.Protection,
               presence: pd.DataFrame | None = None, drive: bool = True,
               log=None) -> Coordination:
    """Extend ``secret`` (over the rows of ``data``) until the audit passes.

    ``audited`` marks the rows in the linear model (additive counts and amounts with a value),
    ``primary`` the primary secret, ``effectifs`` the counts of people. ``hierarchies()``
    prepares the hierarchies' equations (``hierarchies.Hierarchies``), whose
    ``close(secret, new)`` returns ``secret`` closed over them (``new``: the rows hidden since
    a closed pattern, None the first time); they are prepared once the linear model is built,
    so that the two preparations, each heavy at national scale, do not add their peaks. With
    ``drive`` False the audit only reports (the suppression is the hierarchies' alone).
    """
    rows = np.flatnonzero(audited)
    cells = data.iloc[rows].reset_index(drop=True)
    blocks = modele.blocks(cells, territoires, sommes, presence)
    close = hierarchies().close
    values = cells["valeur"].to_numpy(dtype=float, na_value=np.nan)
    hidden = np.array(close(secret.copy(), None), dtype=bool)
    verdicts: dict[int, audit.Resultat] = {}  # by cell
    dirty = set(range(len(blocks)))
    todo = None  # the cells to audit: all of them first
    rounds = 0
    state = audit.Cellules(values, hidden[rows], ~hidden[rows], primary[rows], effectifs[rows])
    while True:
        for result in _audit_blocks(blocks, dirty, state, protection, todo, drive):
            verdicts[result.pos] = result
        failing = [r for r in verdicts.values() if not r.ok]
        if not failing or not drive or rounds >= MAX_ROUNDS:
            break
        chosen = _choose(failing, values, state) if rounds < ROUNDS_ONE_BY_ONE \
            else sorted({p for r in failing for p in r.liants if state.publie[p]})
        if log is not None:
            log(f"tour {rounds}: {len(dirty)} systèmes audités, {len(failing)} échecs, "
                f"{len(chosen)} cases masquées en plus")
        if not chosen:
            break
        rounds += 1
        before = hidden.copy()
        hidden[rows[chosen]] = True
        hidden = np.array(close(hidden, rows[chosen]), dtype=bool)
        changed = np.flatnonzero((hidden != before)[rows])
        state.secret, state.publie = hidden[rows], ~hidden[rows]
        dirty = {n for n, block in enumerate(blocks)
                 if np.isin(block.cells, changed, assume_unique=True).any()}
        # Hiding more only widens every interval (fewer equations): a cell proven protected
        # stays so; the failing cells and the newly hidden ones are audited again.
        todo = np.zeros(len(rows), bool)
        todo[changed] = True
        todo[[r.pos for r in failing]] = True
    release_memory()  # what this process's share of the audit freed, before the tables are written
    results = sorted(verdicts.values(), key=lambda r: r.pos)
    keys = cells[["niveau", "code", "indicateur", "type_siae", "public"]]
    return Coordination(hidden, results, state, keys, rounds)


def _audit_blocks(blocks: list[modele.Block], numbers: set[int], state: audit.Cellules,
                  protection: audit.Protection, todo: np.ndarray | None,
                  drive: bool) -> list[audit.Resultat]:
    """The verdicts of the blocks ``numbers``, in their order, audited by this process and
    forked children (``apart.Child``), one per core: a block's audit only reads ``state``, and
    its linear programs and the Python around them run side by side. Each process takes the
    next block not yet taken, the largest first."""
    def work(number: int) -> int:
        cells = blocks[number].cells
        return int((state.secret[cells] if todo is None else todo[cells]).sum())

    queue = _Queue(sorted(numbers, key=lambda n: (-work(n), n)))
    children = [Child(_audit_taken, blocks, queue, state, protection, todo, drive)
                for _ in range(min(WORKERS, len(numbers)) - 1)]
    try:
        verdicts = _audit_taken(blocks, queue, state, protection, todo, drive)
        for child in children:
            verdicts.update(child.result())
    finally:  # on an interruption, the children are not waited for
        for child in children:
            child.stop()
    return [r for n in sorted(numbers) for r in verdicts[n]]


class _Queue:
    """Block numbers taken one at a time by processes forked after it was made."""

    def __init__(self, numbers: list[int]) -> None:
        self._numbers = numbers
        self._next = multiprocessing.Value("i", 0)  # in memory shared across fork

    def take(self) -> int | None:
        with self._next.get_lock():
            index = self._next.value
            self._next.value += 1
        return self._numbers[index] if index < len(self._numbers) else None


def _audit_taken(blocks: list[modele.Block], queue: _Queue, state: audit.Cellules,
                 protection: audit.Protection, todo: np.ndarray | None,
                 drive: bool) -> dict[int, list[audit.Resultat]]:
    """The verdicts of the blocks this process takes from ``queue``, by block."""
    verdicts = {}
    while (number := queue.take()) is not None:
        verdicts[number] = audit.audit_block(blocks[number], state, protection, only=todo,
                                             first_failure=drive)
    return verdicts


def _choose(failing: list[audit.Resultat], values: np.ndarray,
            state: audit.Cellules) -> list[int]:
    """For each failing cell, the binding published cell with the smallest positive value
    (else the smallest one): hiding it frees the equation that pins the failing cell."""
    chosen = set()
    for result in failing:
        candidates = [p for p in result.liants if state.publie[p]]
        if not candidates:
            continue
        positive = [p for p in candidates if values[p] > 0]
        pool = positive or candidates
        chosen.add(min(pool, key=lambda p: (values[p], p)))
    return sorted(chosen)
