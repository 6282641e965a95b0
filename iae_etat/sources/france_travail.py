"""France Travail: from quarterly counts per commune to the annual figure of the millésime."""

from __future__ import annotations

import pandas as pd

from iae_etat.errors import ConfigError

COUNT_COLUMNS = ["de_abc", "deld", "detld", "de_moins_26", "de_50_plus", "de_rqth"]
METHODS = ("moyenne", "T4")


def annual_values(quarterly: pd.DataFrame, millesime: int, method: str) -> pd.DataFrame:
    """Annual demandeurs d'emploi per commune.

    ``moyenne``: mean of the quarters of the millésime where the value is known; ``T4``: the
    fourth quarter. A value masked in every quarter stays missing, never zero.
    """
    if method not in METHODS:
        raise ConfigError(f"pipelines/france_travail.yaml : valeur_annuelle « {method} » inconnue "
                          f"(attendu : {', '.join(METHODS)}).")
    year = quarterly[quarterly["periode"].str.startswith(f"{millesime}-")]
    if method == "T4":
        year = year[year["periode"] == f"{millesime}-T4"]
    grouped = year.groupby("code_commune", sort=True)[COUNT_COLUMNS]
    annual = grouped.mean()  # pandas skips missing values; all-missing gives NaN
    return annual.reset_index()
