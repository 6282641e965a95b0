"""The needs side (pure): public statistics per commune, then per territory of every level.

Every commune of the project has a row, with a missing value where the source is absent or
masked (never zero). A territory sums the known values of its communes, except where a source
gives the territory's own figure (France Travail by département, CAF by EPCI), which wins.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from iae_etat.common.errors import GRAVITE_INFO, Probleme
from iae_etat.common.vocabulary import LEVELS
from iae_etat.sources.adapters import normalise_header
from iae_etat.sources.labels import normalised_in
from iae_etat.territoires.levels import level_frame

DE_COLUMNS = ["de_a", "de_b", "de_c", "de_abc", "deld", "detld", "de_moins_26", "de_50_plus",
              "de_rqth"]
COUNT_COLUMNS = [*DE_COLUMNS, "foyers_rsa", "population", "population_15_64", "population_qpv",
                 "nb_qpv", "communes_frr"]
BESOINS_COLUMNS = ["code_commune", *COUNT_COLUMNS, "classement_frr", "taux_chomage_ze"]
LEVEL_COLUMNS = ["niveau", "code", "libelle", *COUNT_COLUMNS, "taux_chomage_ze",
                 "de_source_niveau"]


def annual_mean(frame: pd.DataFrame, key: str, columns: list[str], millesime: int,
                method: str) -> pd.DataFrame:
    """Annual value from quarterly rows ``periode = AAAA-Tn``: mean of known quarters or T4."""
    year = frame[frame["periode"].astype("string").str.startswith(f"{millesime}-")]
    if method == "T4":
        year = year[year["periode"] == f"{millesime}-T4"]
    return year.groupby(key, sort=True)[columns].mean().reset_index()


def total_gaps(communes: pd.DataFrame, territoires: pd.DataFrame, own: pd.DataFrame,
               column: str, source: str) -> list[Probleme]:
    """The sum of the communes of each département against the source's own total of the
    département (``own``: ``code`` + ``column``), the gap recorded as a control (info)."""
    known = communes.merge(territoires[["code_commune", "code_departement"]], on="code_commune")
    sums = known.groupby("code_departement")[column].sum(min_count=1)
    problems = []
    for code, total in own.set_index("code")[column].dropna().items():
        if code not in sums.index or pd.isna(sums[code]):
            continue
        gap = float(sums[code]) - float(total)
        problems.append(Probleme(
            fichier=f"département {code}", champ=column, valeur=f"{sums[code]:.0f}",
            attendu=f"{total:.0f}", regle="besoins.ecart_total_source", gravite=GRAVITE_INFO,
            message=f"{source} : la somme des communes du département {code} ({sums[code]:.0f}) "
                    + (f"diffère de {gap:+.0f} du total publié par la source ({total:.0f}) : "
                       "arrondis, valeurs masquées, inscrits non localisés ou période "
                       "différente." if gap else "est égale au total publié par la source."),
            conseil="Un écart est attendu quand la source arrondit ou masque ses valeurs ; un "
                    "grand écart peut signaler un fichier incomplet (iae-etat sources)."))
    return problems


def chomage_annuel(taux: pd.DataFrame, method: str) -> pd.DataFrame:
    """Annual unemployment rate per zone d'emploi from the columns ``taux_t1`` … ``taux_t4``."""
    quarters = ["taux_t1", "taux_t2", "taux_t3", "taux_t4"]
    values = taux[quarters].astype(float)
    rate = values["taux_t4"] if method == "T4" else values.mean(axis=1, skipna=True)
    return pd.DataFrame({"code_zone_emploi": taux["code_zone_emploi"],
                         "taux_chomage_ze": rate}).dropna().drop_duplicates("code_zone_emploi")


def qpv_communes(qpv: pd.DataFrame) -> pd.DataFrame:
    """One row per (QPV, commune): splits ``"01001,01002"`` and unwraps Excel's ``="01053"``."""
    rows = []
    for code_qp, communes in zip(qpv["code_qp"], qpv["communes"].fillna(""), strict=True):
        for code in re.split(r"[;,]", str(communes)):
            code = code.strip().removeprefix("=").strip('"').strip()
            if code:
                rows.append((code_qp, code))
    return pd.DataFrame(rows, columns=["code_qp", "code_commune"])


def frr_flags(frr: pd.DataFrame, classes_retenues: list[str]) -> pd.DataFrame:
    """``classement_frr`` and ``communes_frr`` (1 when the class is one of the retained ones)."""
    wanted = {normalise_header(c) for c in classes_retenues}
    data = frr.dropna(subset=["classement"]).copy()
    data["communes_frr"] = normalised_in(data["classement"], wanted).astype(float)
    data = data.sort_values(["code_commune", "communes_frr"], ascending=[True, False])
    data = data.drop_duplicates("code_commune")
    return data[["code_commune", "classement"]].rename(
        columns={"classement": "classement_frr"}).merge(
        data[["code_commune", "communes_frr"]], on="code_commune")


def besoins_communes(territoires: pd.DataFrame, parts: list[pd.DataFrame],
                     listed: list[str] = ()) -> pd.DataFrame:
    """Every commune of the project with every needs column (missing when unknown).

    ``listed`` columns come from lists (QPV, FRR): a commune absent from the list has zero.
    """
    out = territoires[["code_commune"]].copy()
    for part in parts:
        out = out.merge(part, on="code_commune", how="left")
    for column in BESOINS_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    for column in listed:
        out[column] = out[column].fillna(0.0)
    return out[BESOINS_COLUMNS]


def besoins_niveaux(territoires: pd.DataFrame, besoins: pd.DataFrame,
                    overrides: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The needs of every territory of every level.

    ``overrides`` maps a level to a frame ``code`` + columns whose values replace the sums
    (a source's own figure for that level); ``de_source_niveau`` marks the territories whose
    demandeurs d'emploi are the source's own figures, complete where the communes' are not.
    """
    frames = []
    for level in LEVELS:
        table = level_frame(territoires, level)
        if table is None:
            continue
        joined = table.merge(besoins, on="code_commune", how="left")
        sums = joined.groupby("code")[COUNT_COLUMNS].sum(min_count=1)
        # one rate for the territory only when all its communes give the same one
        grouped = joined.groupby("code")["taux_chomage_ze"]
        rates = grouped.first().where((grouped.nunique() == 1)
                                      & (grouped.count() == grouped.size()))
        part = sums.join(rates)
        part["de_source_niveau"] = False
        own = overrides.get(level)
        if own is not None and not own.empty:
            own = own.drop_duplicates("code").set_index("code")
            common = part.index.intersection(own.index)
            for column in own.columns:
                part.loc[common, column] = own.loc[common, column].astype(float)
            if "de_abc" in own.columns:
                part.loc[common, "de_source_niveau"] = True
        part = part.reset_index()
        part["niveau"] = level
        part["libelle"] = part["code"].map(table.drop_duplicates("code").set_index("code")
                                           ["libelle"])
        frames.append(part)
    return pd.concat(frames, ignore_index=True)[LEVEL_COLUMNS]
