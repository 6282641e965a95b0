"""Work done in forked child processes: a millésime of ``build --all``, the zones of the
secret's coordination and their audits' blocks, the report's documents.

Each millésime of a national project leaves the process larger than it found it (the libraries
the report loads, the heap that fragments): built one after another in one process, the second
millésime peaked some 200 Mio above the first, and the three of a national ``build --all`` at
2.2 Gio against 1.5 for one. In a child forked for it, each millésime starts from the same
small process and gives everything back when it ends.

The coordination of the secret (its zones, the audit's blocks) and the report share work out
between this process and children (``share_out``, ``Child``): two cores for pieces of work that
share only what was computed before the fork (threads would run their Python one at a time).

A child dies with its parent (a killed command stops what it started). Where the system cannot
fork, the work is done here, at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

from iae_etat.common.errors import IaeEtatError

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1  # prctl(2), Linux


class Child(Generic[T]):
    """``function(*args, **kwargs)`` computing in a forked child while this process goes on:
    ``result()`` waits for its answer (or raises its exception), ``stop()`` ends it unheard."""

    def __init__(self, function: Callable[..., T], *args, **kwargs) -> None:
        self._pid: int | None = None
        if not hasattr(os, "fork"):
            self._compute_here(function, args, kwargs)
            return
        sys.stdout.flush()  # what is buffered is written once, not again by the child
        sys.stderr.flush()
        parent = os.getpid()
        read, write = os.pipe()
        gc.freeze()  # the child's collections leave the objects it shares (and their pages) be
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _child(write, parent, function, args, kwargs)
        gc.unfreeze()
        os.close(write)
        self._pid, self._read = pid, read

    @classmethod
    def here(cls, function: Callable[..., T], *args, **kwargs) -> Child[T]:
        """The same work done at once in this process (when a second one would cost more than
        it saves)."""
        done = cls.__new__(cls)
        done._pid = None
        done._compute_here(function, args, kwargs)
        return done

    def _compute_here(self, function: Callable[..., T], args: tuple, kwargs: dict) -> None:
        try:
            self._outcome: tuple[str, object] | None = ("resultat", function(*args, **kwargs))
        except Exception as exc:  # raised by result(), as from a child
            self._outcome = ("erreur", exc)

    def result(self) -> T:
        """The child's answer, once it has ended; its exception is raised here."""
        if self._pid is not None:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
            os.waitpid(self._pid, 0)
            self._pid = None
            self._outcome = pickle.loads(data) if data else None
        if self._outcome is None:  # killed from outside, or by the system short of memory
            raise IaeEtatError("Le calcul s'est arrêté sans répondre (processus arrêté de "
                               "l'extérieur, ou mémoire insuffisante) : les résultats "
                               "précédents sont intacts.",
                               conseil="Relancez ; si cela se reproduit, vérifiez la mémoire "
                                       "libre.")
        kind, value = self._outcome
        if kind == "erreur":
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    def stop(self) -> None:
        """End the child if it still runs (this process failed: its work is not wanted)."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        os.close(self._read)
        self._pid = None


def in_child(function: Callable[..., T], *args, **kwargs) -> T:
    """``function(*args, **kwargs)`` computed in a forked child: its result is returned and
    its exception raised here (the child's traceback is lost; ``--debug`` runs here)."""
    child = Child(function, *args, **kwargs)
    try:
        return child.result()
    finally:
        child.stop()


def share_out(numbers: list[int], work: Callable[[int], T], processes: int) -> dict[int, T]:
    """``work(n)`` for each of ``numbers``, by this process and ``processes`` − 1 forked
    children: each takes the next number not yet taken (give the largest pieces first), so
    that the processes end together. The pieces share only what was computed before."""
    queue = _Queue(numbers)
    children = [Child(_taken, queue, work) for _ in range(min(processes, len(numbers)) - 1)]
    try:
        done = _taken(queue, work)
        for child in children:
            done.update(child.result())
    finally:  # on an interruption, the children are not waited for
        for child in children:
            child.stop()
    return done


class _Queue:
    """Numbers taken one at a time by processes forked after it was made."""

    def __init__(self, numbers: list[int]) -> None:
        self._numbers = numbers
        self._next = multiprocessing.Value("i", 0)  # in memory shared across fork

    def take(self) -> int | None:
        with self._next.get_lock():
            index = self._next.value
            self._next.value += 1
        return self._numbers[index] if index < len(self._numbers) else None


def _taken(queue: _Queue, work: Callable[[int], T]) -> dict[int, T]:
    """``work`` of the numbers this process takes from ``queue``."""
    done = {}
    while (number := queue.take()) is not None:
        done[number] = work(number)
    return done


def _child(write: int, parent: int, function: Callable, args: tuple, kwargs: dict) -> None:
    """Run in the child: answer through ``write``, then leave without the parent's cleanups.

    Only stdout is flushed at the end: another thread of the parent (the spinner) may have
    held the lock of stderr when it forked, and the child holds it for ever."""
    code = 0
    try:
        _die_with(parent)
        try:
            outcome = ("resultat", function(*args, **kwargs))
        except BaseException as exc:  # given back to the parent, which decides
            outcome = ("erreur", exc)
        try:
            data = pickle.dumps(outcome)
        except Exception:  # an exception that cannot travel: its text does
            data = pickle.dumps(("erreur", RuntimeError(repr(outcome[1]))))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # the parent is gone (interrupted): nothing to tell
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def _die_with(parent: int) -> None:
    """Ask Linux to end this child when its parent ends; leave now if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
