"""Non-response: calibration weights of the respondents (pure functions).

Within each group — a kind of SIAE in a département of the scope — every respondent gets the
same weight::

    poids = total de la variable pour toutes les SIAE du groupe
            / total de la variable pour les SIAE répondantes du groupe

The calibration variable is the ETP conventionnés of the ASP (``core_asp``, known for every
conventioned SIAE; a SIAE absent from the ASP data counts 0) when the ASP data exist, else the
number of SIAE. A group whose respondents have no ASP ETP falls back on the number of SIAE. The
weighted sums of the respondents then estimate the totals of all the SIAE of the group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.tables.contracts import columns

VARIABLE_ETP = "etp_conventionnes_asp"
VARIABLE_NOMBRE = "nb_siae"
GROUP_COLUMNS = columns("out_calage")


def etp_asp(structures: pd.DataFrame, asp: pd.DataFrame | None) -> pd.Series:
    """ETP conventionnés of the ASP of each structure (0 when absent from the ASP data), or
    all NaN without ASP data; aligned on ``structures``."""
    if asp is None:
        return pd.Series(np.nan, index=structures.index)
    known = asp[["siret", "type_siae", "etp_conventionnes"]].astype(
        {"etp_conventionnes": float}).drop_duplicates(["siret", "type_siae"])
    merged = structures[["siret", "type_siae"]].merge(known, on=["siret", "type_siae"],
                                                      how="left")
    return pd.Series(merged["etp_conventionnes"].fillna(0.0).to_numpy(), index=structures.index)


def groupes(structures: pd.DataFrame, territoires: pd.DataFrame,
            asp: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (département, kind of SIAE) with its calibration totals and weight
    (columns ``GROUP_COLUMNS``; the weight is empty for a group without respondent)."""
    departement = territoires.set_index("code_commune")["code_departement"]
    data = structures[structures["code_commune"].notna()]
    data = pd.DataFrame({"code_departement": data["code_commune"].map(departement).to_numpy(),
                         "type_siae": data["type_siae"].to_numpy(),
                         "repond": data["a_repondu"].astype(bool).to_numpy(),
                         "etp": etp_asp(data, asp).to_numpy(), "nb": 1.0})
    data["etp_repond"] = data["etp"].where(data["repond"], 0.0)
    data["nb_repond"] = data["repond"].astype(float)
    sums = data.groupby(["code_departement", "type_siae"])[
        ["nb", "nb_repond", "etp", "etp_repond"]].sum().reset_index()
    by_etp = (asp is not None) & (sums["etp_repond"] > 0)
    sums["variable"] = np.where(by_etp, VARIABLE_ETP, VARIABLE_NOMBRE)
    sums["total"] = np.where(by_etp, sums["etp"], sums["nb"])
    sums["total_repondantes"] = np.where(by_etp, sums["etp_repond"], sums["nb_repond"])
    sums["poids"] = sums["total"] / sums["total_repondantes"].where(
        sums["total_repondantes"] > 0)
    sums = sums.rename(columns={"nb": "siae", "nb_repond": "repondantes"})
    return sums.astype({"siae": int, "repondantes": int})[GROUP_COLUMNS]


def poids(structures: pd.DataFrame, groups: pd.DataFrame,
          territoires: pd.DataFrame) -> pd.DataFrame:
    """``siret, type_siae, poids`` of every respondent sited in the scope."""
    departement = territoires.set_index("code_commune")["code_departement"]
    data = structures[structures["a_repondu"].astype(bool) & structures["code_commune"].notna()]
    data = data[["siret", "type_siae"]].assign(
        code_departement=data["code_commune"].map(departement).to_numpy())
    weights = data.merge(groups[["code_departement", "type_siae", "poids"]],
                         on=["code_departement", "type_siae"], how="left")
    return weights[["siret", "type_siae", "poids"]].reset_index(drop=True)
