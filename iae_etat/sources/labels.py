"""Headers and labels of the sources, normalised to be compared: accents, case, spaces and
punctuation do not matter (« 2 - Dont bénéficiaires du RSA » is ``2_dont_beneficiaires_du_rsa``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd


def normalise_header(header: Any) -> str:
    """``" 2 - Dont bénéficiaires du RSA "`` → ``"2_dont_beneficiaires_du_rsa"``."""
    text = unicodedata.normalize("NFKD", str(header).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def normalised(values: pd.Series) -> pd.Series:
    """``normalise_header`` of each of ``values``, each distinct value normalised once (a
    national long-format file repeats a few labels over millions of lines)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    labels = np.array([normalise_header(v) for v in uniques], dtype=object)
    return pd.Series(labels[codes], index=values.index, dtype=object)


def normalised_in(values: pd.Series, accepted: set[str]) -> pd.Series:
    """Whether each of ``values``, normalised as a header, is one of ``accepted``."""
    return normalised(values).isin(accepted)
