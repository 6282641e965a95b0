"""Coordinated secondary suppression over every published grid, driven by the LP audit (pure).

The table is coordinated zone by zone (``zones``: the départements a territory links), side by
side on the cores; a zone whose inputs did not change since the last build is taken back whole
from ``Entries``, so that one corrected return coordinates its zone alone, with the result a
cold build gives.

Within a zone, the equations of each hierarchy (``hierarchies.Hierarchies``) hide, cheaply, a
second cell wherever an equation would hold a single secret one (for a primary cell, one large
enough for its protection interval). Grids that do not nest (EPCI, CLPE, zones d'emploi,
arrondissements) and territories published under several codes are then checked by the audit of
``audit``, which drives the suppression: a cell the outsider could recompute, or narrow inside
its protection interval, has the smallest published cell binding it (the least information
lost; a figure of the département or a total of the kinds only where nothing else binds it)
hidden in its own programs, one at a time, until it holds (``audit.audit_block``, ``hide``);
the cells the audit could not make hold this way name the published cells whose equations bind
them, the smallest of which is hidden (after ``ROUNDS_ONE_BY_ONE`` rounds, all of them). The
hierarchies are then closed again over everything hidden, and the audit runs anew on the
systems that changed, for their failing and newly hidden cells (hiding more only widens the
intervals already proven), until it passes with nothing more hidden, or nothing is left to
hide.

Hiding inside the programs is what makes a national table tractable: hidden one round at a
time, a failing cell needed a round (a closing, the systems built again, its programs solved
from scratch) per cell hidden for it; in its programs, each cell hidden costs one program
started from the last basis, and the cells audited after it in the block gain from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd

from iae_etat.analyse import audit, modele, zones
from iae_etat.analyse.hierarchies import Hierarchies
from iae_etat.common.apart import share_out
from iae_etat.common.entries import Entries
from iae_etat.common.machine import available_cores, release_memory
from iae_etat.common.vocabulary import LEVELS

MAX_ROUNDS = 200
# After this many rounds, a failing cell gets every published cell binding it hidden at once:
# the last failures of a national table come one by one, each hidden cell pinning another.
ROUNDS_ONE_BY_ONE = 10
# Zones, or blocks of one zone, worked on side by side, in processes: the Python around each of
# the 200 000 small linear programs of a national table takes as long as HiGHS, and threads would
# run it one at a time.
WORKERS = min(4, available_cores())
_KEY = ["niveau", "code", "indicateur", "type_siae", "public"]
TOP_LEVEL = LEVELS[-1]
# prepares the hierarchies of one zone: its rows (positions), their frame, its communes
PrepareHierarchies = Callable[[np.ndarray, pd.DataFrame, pd.DataFrame], Hierarchies]


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


@dataclass
class ZoneOutcome:
    """The coordination of one zone: its secret (over its rows), the audit's last verdicts
    (positions among its audited rows), its rounds and the keys of the blocks' verdicts it
    read or kept (``_audit_blocks``)."""

    secret: np.ndarray
    resultats: list[audit.Resultat]
    tours: int
    verdicts: tuple[str, ...] = ()


def coordinate(data: pd.DataFrame, secret: np.ndarray, primary: np.ndarray, audited: np.ndarray,
               effectifs: np.ndarray, territoires: pd.DataFrame, hierarchies: PrepareHierarchies,
               sommes: dict[str, tuple[str, ...]] | None, protection: audit.Protection,
               drive: bool = True, memo: Entries | None = None,
               read: dict[str, np.ndarray] | None = None, log=None) -> Coordination:
    """Extend ``secret`` (over the rows of ``data``) until the audit passes, zone by zone.

    ``audited`` marks the rows in the linear model (additive counts and amounts with a value),
    ``primary`` the primary secret, ``effectifs`` the counts of people. ``hierarchies(rows,
    frame, territoires)`` prepares the hierarchies' equations of one zone
    (``hierarchies.Hierarchies``), whose ``close(secret, new)`` returns ``secret`` closed over
    them (``new``: the rows hidden since a closed pattern, None the first time); ``read``
    names the arrays (over the rows of ``data``) it reads besides. With ``drive`` False the
    audit only reports (the suppression is the hierarchies' alone). ``memo`` keeps each zone's
    outcome under the digest of everything its coordination reads (its salt: the code).
    """
    of_row, departements = zones.zones(data, territoires)
    members = np.argsort(of_row, kind="stable")
    bounds = np.searchsorted(of_row[members], np.arange(len(departements) + 1))
    rows_of = [members[bounds[z]:bounds[z + 1]] for z in range(len(departements))]
    del of_row, members
    columns = [c for c in (*_KEY, "methode", "valeur") if c in data.columns]
    by_code = territoires["code_departement"].astype(str)

    def inputs(zone: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
        rows = rows_of[zone]
        places = territoires[by_code.isin(departements[zone]).to_numpy()].reset_index(drop=True)
        flags = {"secret": secret[rows], "primary": primary[rows], "audited": audited[rows],
                 "effectifs": effectifs[rows],
                 **{f"hierarchies:{k}": v[rows] for k, v in (read or {}).items()}}
        return data.iloc[rows][columns].reset_index(drop=True), places, flags

    def compute(zone: int, workers: int) -> ZoneOutcome:
        frame, places, flags = inputs(zone)
        return _coordinate_zone(frame, flags, places,
                                partial(hierarchies, rows_of[zone], frame, places),
                                sommes, protection, drive, workers, memo,
                                None if log is None else
                                lambda message: log(f"zone {zone} : {message}"))

    outcomes: dict[int, ZoneOutcome] = {}
    keys: dict[int, str] = {}
    # a zone's inputs are gathered again when it is computed: holding every zone's frame
    # until then would add a copy of the table to the peak
    if memo is not None:
        salt = f"{memo.salt}|{protection}|{drive}|{sommes!r}"
        for zone in range(len(rows_of)):
            keys[zone] = zones.key(salt, *inputs(zone))
            kept = memo.get(keys[zone], ZoneOutcome)
            if kept is not None:
                outcomes[zone] = kept
    todo = sorted(set(range(len(rows_of))) - set(outcomes), key=lambda z: (-len(rows_of[z]), z))
    # a zone of more than half the rows has its blocks audited side by side; the others are
    # coordinated side by side, each in one process
    alone = [z for z in todo if 2 * len(rows_of[z]) > sum(len(rows_of[t]) for t in todo)]
    for zone in alone:
        outcomes[zone] = compute(zone, WORKERS)
    rest = [z for z in todo if z not in alone]
    outcomes.update(share_out(rest, lambda zone: compute(zone, 1), WORKERS))
    if memo is not None:
        for zone in todo:
            memo.put(keys[zone], outcomes[zone])
        for outcome in outcomes.values():  # read or kept in a child, or by an earlier build
            memo.keep(outcome.verdicts)
    release_memory()  # what this process's share of the coordination freed
    return _merged(data, secret, primary, audited, effectifs, rows_of, outcomes)


def _merged(data: pd.DataFrame, secret: np.ndarray, primary: np.ndarray, audited: np.ndarray,
            effectifs: np.ndarray, rows_of: list[np.ndarray],
            outcomes: dict[int, ZoneOutcome]) -> Coordination:
    """The outcomes of the zones as one coordination over ``data``."""
    hidden = np.array(secret, dtype=bool)
    rows = np.flatnonzero(audited)
    results = []
    for zone, outcome in sorted(outcomes.items()):
        members = rows_of[zone]
        hidden[members] = outcome.secret
        where = np.searchsorted(rows, members[audited[members]])  # a zone's audited → ours
        results += [replace(r, pos=int(where[r.pos]),
                            liants=tuple(int(where[p]) for p in r.liants),
                            masquees=tuple(int(where[p]) for p in r.masquees))
                    for r in outcome.resultats]
    cells = data.iloc[rows].reset_index(drop=True)
    values = cells["valeur"].to_numpy(dtype=float, na_value=np.nan)
    state = audit.Cellules(values, hidden[rows], ~hidden[rows], primary[rows], effectifs[rows])
    return Coordination(hidden, sorted(results, key=lambda r: r.pos), state, cells[_KEY],
                        max((o.tours for o in outcomes.values()), default=0))


def _coordinate_zone(frame: pd.DataFrame, flags: dict[str, np.ndarray],
                     territoires: pd.DataFrame, hierarchies, sommes, protection: audit.Protection,
                     drive: bool, workers: int, memo: Entries | None, log) -> ZoneOutcome:
    """The rounds of the coordination of one zone (``frame``: its rows, ``flags``: ``secret``,
    ``primary``, ``audited``, ``effectifs`` over them). ``hierarchies()`` is prepared once the
    linear model is built, so that the two preparations do not add their peaks. ``memo``
    keeps the verdicts of each block's audit (``_audit_blocks``)."""
    rows = np.flatnonzero(flags["audited"])
    cells = frame.iloc[rows].reset_index(drop=True)
    blocks = modele.blocks(cells, territoires, sommes, modele.presence(frame))
    close = hierarchies().close
    values = cells["valeur"].to_numpy(dtype=float, na_value=np.nan)
    hidden = np.array(close(flags["secret"].copy(), None), dtype=bool)
    verdicts: dict[int, audit.Resultat] = {}  # by cell
    dirty = set(range(len(blocks)))
    todo = None  # the cells to audit: all of them first
    rounds = 0
    state = audit.Cellules(values, hidden[rows], ~hidden[rows], flags["primary"][rows],
                           flags["effectifs"][rows])
    # in a failing cell's programs, the audit hides a figure of the département or a total of
    # the kinds of SIAE (the headline of the report, the totals of its tables) only where no
    # other cell binds it: free to hide any smallest cell, it hid ten more of the demo's
    # département figures (124 against 114)
    hide = ((cells["niveau"] != TOP_LEVEL) & (cells["type_siae"] != modele.ENSEMBLE)) \
        .to_numpy() if drive else None
    kept: list[str] = []  # the keys of the blocks' verdicts
    while True:
        masked = set()  # hidden by the audit itself (``audit.audit_block``, ``hide``)
        for result in _audit_blocks(blocks, dirty, state, protection, todo, drive, hide,
                                    workers, memo, kept):
            verdicts[result.pos] = result
            masked.update(result.masquees)
        failing = [r for r in verdicts.values() if not r.ok]
        if not (failing or masked) or not drive or rounds >= MAX_ROUNDS:
            break
        chosen = _choose(failing, values, state) if rounds < ROUNDS_ONE_BY_ONE \
            else sorted({p for r in failing for p in r.liants if state.publie[p]})
        chosen = sorted(masked.union(chosen))
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
    return ZoneOutcome(hidden, sorted(verdicts.values(), key=lambda r: r.pos), rounds,
                       tuple(dict.fromkeys(kept)))


def _audit_blocks(blocks: list[modele.Block], numbers: set[int], state: audit.Cellules,
                  protection: audit.Protection, todo: np.ndarray | None, drive: bool,
                  hide: np.ndarray | None, workers: int, memo: Entries | None = None,
                  kept: list[str] | None = None) -> list[audit.Resultat]:
    """The verdicts of the blocks ``numbers``, in their order, audited by ``workers``
    processes (``apart.share_out``), the largest first: a block's audit only reads ``state``
    (``hide``: the cells it may hide in a failing cell's programs).

    ``memo`` keeps each block's verdicts under the digest of what its audit reads
    (``audit.block_digest``): after one corrected return, the blocks it leaves untouched are
    not audited again, round after round; their keys are added to ``kept``."""
    def work(number: int) -> int:
        cells = blocks[number].cells
        return int((state.secret[cells] if todo is None else todo[cells]).sum())

    arguments = {"only": todo, "first_failure": drive, "hide": hide}
    keys, verdicts = {}, {}
    if memo is not None:
        for number in numbers:
            if state.secret[blocks[number].cells].any():  # else nothing to audit
                keys[number] = memo.key(audit.block_digest(blocks[number], state,
                                                           protection, **arguments))
                stored = memo.get(keys[number], tuple)
                if stored is not None:
                    verdicts[number] = audit.placed(stored, blocks[number])
    missing = sorted(set(numbers) - set(verdicts), key=lambda n: (-work(n), n))
    computed = share_out(missing, lambda n: audit.audit_block(blocks[n], state, protection,
                                                             **arguments), workers)
    for number, results in computed.items():
        if number in keys:
            memo.put(keys[number], audit.as_local(results, blocks[number]))
    if kept is not None:
        kept += keys.values()
    verdicts.update(computed)
    return [r for n in sorted(numbers) for r in verdicts[n]]


def _choose(failing: list[audit.Resultat], values: np.ndarray,
            state: audit.Cellules) -> list[int]:
    """For each failing cell, the binding published cell whose hiding loses least (the rule
    of ``audit.least_lost``): hiding it frees the equation that pins the failing cell."""
    chosen = set()
    for result in failing:
        candidates = [p for p in result.liants if state.publie[p]]
        if candidates:
            chosen.add(candidates[audit.least_lost(candidates, values, state.publie)])
    return sorted(chosen)
