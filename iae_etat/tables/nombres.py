"""The one check of a number read from outside: returns, public sources, annexes 4.

A number coming from a file must be finite, must not be an error value of a spreadsheet
(``#DIV/0!``, ``#N/A``…) and must stay within the order of magnitude of its unit (no count of
people above a billion, no ETP above ten million): an absurd value would otherwise overflow an
integer column, a decimal format or an xlsx cell, or be published as ``inf``. Each reader calls
``number_problem`` on every number it reads and turns the answer into a ``Probleme`` naming the
cell or the line; the value is then dropped, never published.
"""

from __future__ import annotations

import math
import re

COUNT_LIMIT = 1e9  # people, structures, households: the country is 7·10⁷ people
LIMITS = {
    "personnes": COUNT_LIMIT, "structures": COUNT_LIMIT, "foyers": COUNT_LIMIT,
    "habitants": COUNT_LIMIT, "communes": COUNT_LIMIT, "quartiers": COUNT_LIMIT,
    "entreprises": COUNT_LIMIT, "situations": COUNT_LIMIT, "actions": COUNT_LIMIT,
    "annexes": COUNT_LIMIT, "ETP": 1e7, "ETP pour 1 000": 1e6, "€": 1e13, "%": 1e4,
    "heures": 1e12,
}
DEFAULT_LIMIT = 1e15  # beyond, a float no longer holds every integer (2⁵³ ≈ 9·10¹⁵)
# Error values as Excel (English and French) and LibreOffice show them.
_SPREADSHEET_ERROR = re.compile(r"^(#[A-Z0-9/_.]+[!?]|#N/[AD]|#[A-Z_]+|Err(eur)?\s?:\s?\d{3})$",
                                re.IGNORECASE)


def is_spreadsheet_error(text: object) -> bool:
    """``#DIV/0!``, ``#N/A``, ``#VALEUR!``, ``Err:502``… (a formula that failed)."""
    return isinstance(text, str) and bool(_SPREADSHEET_ERROR.match(text.strip()))


def limit_of(unite: str) -> float:
    """The largest magnitude accepted for a number of unit ``unite``."""
    return LIMITS.get(unite, DEFAULT_LIMIT)


def shown_limit(limit: float) -> str:
    """``1e9`` → ``10^9`` as a French reader writes it: ``1 000 000 000``."""
    return f"{limit:,.0f}".replace(",", "\u202f")


def number_problem(value: float, unite: str = "", minimum: float | None = None,
                   maximum: float | None = None) -> tuple[str, str, str] | None:
    """Why ``value`` cannot be used: ``(rule suffix, French reason, expected)``; None if it can.

    Rule suffixes: ``nombre_non_fini`` (infinite or NaN), ``nombre_hors_limites`` (beyond the
    order of magnitude of the unit, or the contract's ``minimum``/``maximum``).
    """
    if math.isnan(value):
        return "nombre_non_fini", "valeur non numérique (NaN)", "nombre fini"
    if math.isinf(value):
        return "nombre_non_fini", "valeur infinie", "nombre fini"
    limit = limit_of(unite)
    if maximum is not None:
        limit = min(limit, float(maximum))
    low = -limit_of(unite) if minimum is None else float(minimum)
    if value > limit or value < low:
        expected = f"entre {shown_limit(low)} et {shown_limit(limit)}" if minimum is not None \
            else f"au plus {shown_limit(limit)} en valeur absolue"
        unit = f" {unite}" if unite else ""
        return "nombre_hors_limites", f"valeur hors des limites admises ({expected}{unit})", \
            expected
    return None
