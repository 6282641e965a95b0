"""A build of one millésime in a process of its own, for ``build --all``.

Each millésime of a national project leaves the process larger than it found it (the libraries
the report loads, the heap that fragments): built one after another in one process, the second
millésime peaked some 200 Mio above the first, and the three of a national ``build --all`` at
2.2 Gio against 1.5 for one. In a child forked for it, each millésime starts from the same
small process and gives everything back when it ends. Where the system cannot fork, it runs here.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import TypeVar

from iae_etat.common.errors import IaeEtatError

T = TypeVar("T")


def in_child(function: Callable[..., T], *args, **kwargs) -> T:
    """``function(*args, **kwargs)`` computed in a forked child: its result is returned and
    its exception raised here (the child's traceback is lost; ``--debug`` runs here)."""
    if not hasattr(os, "fork"):
        return function(*args, **kwargs)
    sys.stdout.flush()  # what is buffered is written once, not again by the child
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _child(write, function, args, kwargs)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:  # killed from outside, or by the system short of memory
        raise IaeEtatError("Le calcul s'est arrêté sans répondre (processus arrêté de "
                           "l'extérieur, ou mémoire insuffisante) : les résultats précédents "
                           "sont intacts.",
                           conseil="Relancez ; si cela se reproduit, vérifiez la mémoire libre.")
    kind, value = pickle.loads(data)
    if kind == "erreur":
        raise value
    return value


def _child(write: int, function: Callable, args: tuple, kwargs: dict) -> None:
    """Run in the child: answer through ``write``, then leave without the parent's cleanups."""
    code = 0
    try:
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
        sys.stderr.flush()
        os._exit(code)
