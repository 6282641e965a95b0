"""French number formats (Babel, independent of the machine's locale)."""

from __future__ import annotations

import math
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

SECRET_SYMBOL = "s"
MISSING_SYMBOL = "nd"
# Units of counts and amounts, written without decimals (amounts in whole euros).
COUNT_UNITS = ("structures", "personnes", "foyers", "allocataires-année", "€")
# The unit of the difference of two values of a unit: rates differ in points.
RATE_GAP = {"%": "points"}


def _missing(value: object) -> bool:
    """None, NaN, and pandas' ``NA`` (from nullable columns) are missing."""
    try:
        return value is None or math.isnan(float(value))  # type: ignore[arg-type]
    except TypeError:
        return True


def nombre(value: object, decimales: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (narrow no-break spaces); missing → ``nd``."""
    if _missing(value) or math.isinf(float(value)):  # type: ignore[arg-type]
        return MISSING_SYMBOL
    if abs(float(value)) >= 1e15:  # type: ignore[arg-type]
        # beyond what any reader checked at reading lets through: shown, never a crash
        return f"{float(value):.3e}".replace(".", ",")  # type: ignore[arg-type]
    return _pattern(decimales).apply(value, _french())


@cache
def _pattern(decimales: int) -> NumberPattern:
    """The Babel pattern of ``nombre`` (what ``format_decimal`` parses on every call)."""
    return parse_pattern("#,##0" + ("." + "0" * decimales if decimales else ""))


@cache
def _french() -> Locale:
    return Locale.parse("fr_FR")


def pourcentage(value: object, decimales: int = 1) -> str:
    """``28.43`` (already in percent) → ``28,4 %``."""
    text = nombre(value, decimales)
    return text if text == MISSING_SYMBOL else f"{text}\u00a0%"


def cellule(value: object, statut: str, unite: str) -> str:
    """A published value as shown in a table: the number, ``s`` or ``nd``."""
    if statut == "s":
        return SECRET_SYMBOL
    if statut == "nd":
        return MISSING_SYMBOL
    if unite == "%":
        return pourcentage(value)
    if unite == "points":
        return points(value)
    decimals = 0 if unite in COUNT_UNITS else 1
    return nombre(value, decimals)


def points(value: object) -> str:
    """A difference of two rates: ``-2.46`` → ``-2,5 points``."""
    text = nombre(value, 1)
    return text if text == MISSING_SYMBOL else f"{text}\u00a0points"


def decimal_text(value: float) -> str:
    """``12.5`` → ``12,5`` for a French CSV (no thousands separator, up to 6 decimals)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{round(float(value), 6):.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")
