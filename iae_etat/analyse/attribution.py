"""Where the offer of each SIAE is counted: by its site or by its salariés' residence (pure).

A *part* says which share of a respondent's questionnaire figures (ETP, salariés, publics,
sorties) goes to a place. By implantation, the whole goes to the commune of the siège. By
residence, each respondent that filled the « Résidence » sheet spreads its figures over the EPCI
of the scope in proportion to its salariés living there (part = salariés résidant dans l'EPCI /
salariés déclarés sur la feuille, « hors » compris); the « hors » share (and any EPCI outside the
scope) leaves the scope; a respondent without residence figures stays at its site.

Residence is known by EPCI only: the communes, arrondissements, zones d'emploi and CLPE are
built from communes and keep the implantation; the EPCI and the départements (made of EPCI)
use the residence. An EPCI reaches the département holding most of its communes in the scope.

The communes of a département add up to its offer by implantation, which is its offer by
residence plus the part living outside: a count of people, secret when it is small
(``hors_secret``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RESIDENCE_LEVELS = ("epci", "departement")
PART_COLUMNS = ["siret", "type_siae", "code_commune", "part"]
_EPCI_PLACE = "@"  # prefix of an EPCI used as a place, beside the commune codes


def implantation(structures: pd.DataFrame, repondantes: bool = True) -> pd.DataFrame:
    """Every respondent (every SIAE when not ``repondantes``) sited in the scope gives its
    whole figures to its commune."""
    sited = structures[structures["code_commune"].notna()]
    if repondantes:
        sited = sited[sited["a_repondu"].astype(bool)]
    return sited[["siret", "type_siae", "code_commune"]].assign(part=1.0)[PART_COLUMNS] \
        .reset_index(drop=True)


def residence(structures: pd.DataFrame, residence_table: pd.DataFrame,
              territoires: pd.DataFrame, repondantes: bool = True) -> pd.DataFrame:
    """Parts by EPCI of residence (place ``@<code_epci>``), the site for the others (the
    respondents without residence figures, and every other SIAE when not ``repondantes``).

    ``residence_table`` is ``raw_questionnaires_residence`` (siret, type_siae, code_epci or
    « hors », salaries). A respondent whose residence lines add up to zero has no residence data.
    """
    sites = implantation(structures, repondantes)
    data = residence_table[["siret", "type_siae", "code_epci", "salaries"]].copy()
    data["salaries"] = data["salaries"].astype(float)
    data = data.merge(sites[["siret", "type_siae"]], on=["siret", "type_siae"])
    total = data.groupby(["siret", "type_siae"])["salaries"].transform("sum")
    data = data[total > 0].assign(part=data["salaries"] / total)
    known = set(territoires["code_epci"].dropna())
    shared = data[data["code_epci"].isin(known)]
    spread = shared.assign(code_commune=_EPCI_PLACE + shared["code_epci"])[PART_COLUMNS]
    described = data[["siret", "type_siae"]].drop_duplicates()
    alone = sites.merge(described, on=["siret", "type_siae"], how="left", indicator=True)
    alone = alone[alone["_merge"] == "left_only"][PART_COLUMNS]
    return pd.concat([alone, spread], ignore_index=True)


def places(table: pd.DataFrame, territoires: pd.DataFrame, level: str) -> pd.DataFrame:
    """``table`` (communes → territories of ``level``) plus the EPCI places of the residence
    parts, mapped to their EPCI or to their département."""
    communes = territoires.dropna(subset=["code_epci"])
    if level == "epci":
        epci = communes[["code_epci"]].drop_duplicates().assign(code=lambda d: d["code_epci"])
    else:
        counts = communes.groupby(["code_epci", "code_departement"]).size().rename("n") \
            .reset_index().sort_values(["code_epci", "n", "code_departement"],
                                       ascending=[True, False, True])
        epci = counts.drop_duplicates("code_epci").rename(columns={"code_departement": "code"})
    extra = pd.DataFrame({"code_commune": _EPCI_PLACE + epci["code_epci"],
                          "code": epci["code"].to_numpy()})
    extra["libelle"] = extra["code"].map(table.drop_duplicates("code").set_index("code")
                                         ["libelle"])
    return pd.concat([table, extra.dropna(subset=["libelle"])], ignore_index=True)


def hors_secret(table: pd.DataFrame, implantation: pd.DataFrame, effectifs: set[str],
                seuil: float) -> pd.Series:
    """Département cells of ``table`` (by residence) to keep secret, aligned on its rows.

    ``implantation`` holds the same département rows by implantation. Their difference is the
    part of the salariés living outside (or, between départements of the scope, moving in); the
    sum of the communes would give it back from the département's figure, so the département
    cell is secret when that difference is a count of people under ``seuil``.
    """
    key = ["niveau", "code", "indicateur", "type_siae", "public"]
    text = dict.fromkeys(key, "string")
    site = implantation[key + ["valeur"]].astype(text).rename(columns={"valeur": "site"})
    rows = np.flatnonzero((table["niveau"] == "departement").to_numpy())
    merged = table.iloc[rows][key + ["valeur"]].astype(text).merge(site, on=key, how="left")
    gap = (merged["site"] - merged["valeur"]).abs()
    small = np.zeros(len(table), dtype=bool)
    small[rows] = ((gap > 1e-9) & (gap < seuil) & merged["indicateur"].isin(effectifs)) \
        .fillna(False).to_numpy(dtype=bool)
    return pd.Series(small)
