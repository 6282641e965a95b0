"""Normalisation of French administrative and business codes.

Every ``normalise_*`` function takes a raw cell value (str, int, float, None, NaN...) and returns
the canonical code as a string, or ``None`` when the value cannot be normalised unambiguously.
The ``*_series`` variants apply the same rule to a pandas Series.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only when a Series is normalised (fast CLI start)
    import pandas as pd

COMMUNE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.ASCII)
# 01-95 except 20, Corsica as 2A/2B, and the five DROM (971-974, 976).
DEPARTEMENT_PATTERN = re.compile(r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-46])$", re.ASCII)
SIRET_PATTERN = re.compile(r"^\d{14}$", re.ASCII)
EPCI_PATTERN = re.compile(r"^\d{9}$", re.ASCII)
ZONE_EMPLOI_PATTERN = re.compile(r"^\d{4}$", re.ASCII)

LA_POSTE_SIREN = "356000000"

_EXCEL_WRAPPED = re.compile(r'^"?="(.*?)""?$')
_INTEGRAL_TEXT = re.compile(r"^(\d+)\.0*$", re.ASCII)
_SPACES = re.compile(r"\s")
_SPACES_AND_DOTS = re.compile(r"[\s.]")
_ASP_NORD = {"59L", "59V"}


def _as_text(value: object) -> str | None:
    """Raw value as stripped text: integral numbers without decimals, Excel ``="..."`` unwrapped.

    Returns ``None`` for missing values, booleans, non-integral or non-finite numbers.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number) or not number.is_integer():
            return None
        return str(int(number))
    if not isinstance(value, str):
        return None
    text = value.strip()
    wrapped = _EXCEL_WRAPPED.match(text)
    if wrapped:
        text = wrapped.group(1).strip()
    integral = _INTEGRAL_TEXT.match(text)
    if integral:
        text = integral.group(1)
    return text or None


def _is_digits(text: str) -> bool:
    """Whether ``text`` is made of ASCII digits only."""
    return text.isascii() and text.isdigit()


def normalise_commune(value: object) -> str | None:
    """INSEE commune code (``"01001"``, ``"2A004"``); a 4-digit value gets its leading zero."""
    text = _as_text(value)
    if text is None:
        return None
    text = text.upper()
    if len(text) == 4 and _is_digits(text):
        text = "0" + text
    return text if COMMUNE_PATTERN.match(text) else None


def normalise_departement(value: object) -> str | None:
    """Département code (``"01"``, ``"2A"``, ``"974"``), also from ASP ``"001"`` and ``"59L"``."""
    text = _as_text(value)
    if text is None:
        return None
    text = text.upper()
    if len(text) == 3 and text.startswith("0"):
        text = text[1:]
    if text in _ASP_NORD:
        text = "59"
    if len(text) == 1 and _is_digits(text):
        text = "0" + text
    return text if DEPARTEMENT_PATTERN.match(text) else None


def normalise_siret(value: object) -> str | None:
    """14-digit SIRET; spaces and dots removed, numbers zero-padded. Luhn is not checked here."""
    text = _as_text(value)
    if text is None:
        return None
    text = _SPACES_AND_DOTS.sub("", text)
    if not isinstance(value, str):
        text = text.zfill(14)
    return text if SIRET_PATTERN.match(text) else None


def siret_is_valid(siret: object) -> bool:
    """Whether a SIRET passes its checksum.

    Luhn, or for La Poste establishments (SIREN 356000000) a digit sum divisible by 5.
    """
    code = normalise_siret(siret)
    if code is None:
        return False
    if _luhn_valid(code):
        return True
    return code.startswith(LA_POSTE_SIREN) and sum(int(digit) for digit in code) % 5 == 0


def _luhn_valid(digits: str) -> bool:
    """Luhn checksum of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def normalise_zone_emploi(value: object) -> str | None:
    """Zone d'emploi code, zero-padded to 4 digits (``51`` -> ``"0051"``)."""
    text = _as_text(value)
    if text is None or not _is_digits(text):
        return None
    text = text.zfill(4)
    return text if ZONE_EMPLOI_PATTERN.match(text) else None


def normalise_epci(value: object) -> str | None:
    """EPCI SIREN as exactly 9 digits, spaces removed."""
    text = _as_text(value)
    if text is None:
        return None
    text = _SPACES.sub("", text)
    return text if EPCI_PATTERN.match(text) else None


def _map_series(series: pd.Series, normaliser: Callable[[object], str | None]) -> pd.Series:
    """Apply a scalar normaliser to every cell; unnormalisable cells become missing."""
    import pandas as pd

    return pd.Series([normaliser(value) for value in series], index=series.index,
                     name=series.name, dtype=str)


def normalise_commune_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_commune`."""
    return _map_series(series, normalise_commune)


def normalise_departement_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_departement`."""
    return _map_series(series, normalise_departement)


def normalise_siret_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_siret`."""
    return _map_series(series, normalise_siret)


def normalise_zone_emploi_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_zone_emploi`."""
    return _map_series(series, normalise_zone_emploi)


def normalise_epci_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_epci`."""
    return _map_series(series, normalise_epci)


# Arrondissements municipaux of Paris, Lyon and Marseille: (first code, last code, commune).
_ARRONDISSEMENTS = ((75101, 75120, "75056"), (69381, 69389, "69123"), (13201, 13216, "13055"))


def commune_of_arrondissement(code: object) -> str | None:
    """``"75104"`` → ``"75056"`` (Paris): the commune of an arrondissement municipal, else None."""
    text = str(code)
    if not (len(text) == 5 and text.isdigit()):
        return None
    number = int(text)
    return next((commune for low, high, commune in _ARRONDISSEMENTS if low <= number <= high),
                None)
