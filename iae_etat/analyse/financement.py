"""Financement of the SIAE: amounts per territory above the commune and kind (pure).

From the questionnaires:
an amount of a territory is the sum over its SIAE that answered; it is not available (NaN) when
one of them left a required field empty (aide au poste, chiffre d'affaires), zero when the
territory has no SIAE. An empty subsidy line counts as zero (a SIAE without funding from the
Région leaves the line blank). Next to each sum the largest contribution of a single SIAE is kept
(``contribution_max``) for the dominance rule of the statistical secrecy; it is never published.
From the ASP: the aide au poste of the annexes financières of every conventioned SIAE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE, SUPRA_COMMUNAL, TYPES_SIAE
from iae_etat.project.config import Projet
from iae_etat.territoires.levels import level_frame

SUBVENTIONS = ("subvention_etat", "subvention_departement", "subvention_region",
               "subvention_communes", "subvention_fse", "subvention_autres")
# Amounts summed per territory (indicators and columns of ``financing_by_siae``).
MONTANTS = ("aide_au_poste", "financement_departement", "financement_etat_hors_aide",
            "financement_region", "financement_communes", "financement_fse",
            "financement_autres", "autres_financeurs", "financements_publics",
            "chiffre_affaires")
# Additive relations between indicators of one cell (total → parts), for the secondary secrecy.
SOMMES = {"autres_financeurs": ("financement_etat_hors_aide", "financement_region",
                                "financement_communes", "financement_fse",
                                "financement_autres"),
          "financements_publics": ("aide_au_poste", "financement_departement",
                                   "autres_financeurs")}
CELL = ["niveau", "code", "type_siae"]


def montant_rsa_annuel(projet: Projet) -> float | None:
    """``[financement] montant_rsa_annuel`` of the configuration (validated at load, with its
    source), or None when absent."""
    value = projet.settings.financement.montant_rsa_annuel
    return None if value is None else float(value)


def financing_by_siae(structures: pd.DataFrame, reponses: pd.DataFrame) -> pd.DataFrame:
    """One row per SIAE that answered (``code_commune, type_siae`` and one column per amount of
    ``MONTANTS``; NaN where a required field was left empty)."""
    answers = reponses.reindex(columns=["siret", "type_siae", "aide_au_poste",
                                        "chiffre_affaires", *SUBVENTIONS])
    data = structures.loc[structures["a_repondu"].astype(bool)
                          & structures["code_commune"].notna(),
                          ["siret", "type_siae", "code_commune"]]
    data = data.merge(answers, on=["siret", "type_siae"], how="left", validate="1:1")
    money = {c: data[c].astype(float) for c in ("aide_au_poste", "chiffre_affaires")}
    money |= {c: data[c].astype(float).fillna(0.0) for c in SUBVENTIONS}
    aide = money["aide_au_poste"]
    out = pd.DataFrame({"code_commune": data["code_commune"], "type_siae": data["type_siae"]})
    out["aide_au_poste"] = aide
    out["financement_departement"] = money["subvention_departement"]
    # subvention_etat includes the aide au poste; never below zero.
    out["financement_etat_hors_aide"] = (money["subvention_etat"] - aide).clip(lower=0)
    out["financement_region"] = money["subvention_region"]
    out["financement_communes"] = money["subvention_communes"]
    out["financement_fse"] = money["subvention_fse"]
    out["financement_autres"] = money["subvention_autres"]
    out["autres_financeurs"] = out[list(SOMMES["autres_financeurs"])].sum(axis=1, min_count=5)
    out["financements_publics"] = out[list(SOMMES["financements_publics"])] \
        .sum(axis=1, min_count=3)
    out["chiffre_affaires"] = money["chiffre_affaires"]
    return out.reset_index(drop=True)


def commune_sums(structures: pd.DataFrame, data: pd.DataFrame,
                 columns: list[str]) -> pd.DataFrame:
    """Per (commune, type of SIAE), ``ensemble`` included: the SIAE (``nb``), the rows of
    ``data`` (one per SIAE, with ``code_commune`` and ``type_siae``: ``lignes``) and, for each
    of ``columns``, its sum, largest value and empty values (``s_``, ``x_``, ``m_``)."""
    keys = ["code_commune", "type_siae"]

    def with_ensemble(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame, frame.assign(type_siae=ENSEMBLE)], ignore_index=True)

    located = with_ensemble(structures.loc[structures["code_commune"].notna(), keys])
    rows = with_ensemble(data[[*keys, *columns]])
    grouped = rows.groupby(keys)
    parts = [located.groupby(keys).size().rename("nb"), grouped.size().rename("lignes"),
             grouped[columns].sum().add_prefix("s_"), grouped[columns].max().add_prefix("x_"),
             rows[columns].isna().groupby([rows[k] for k in keys]).sum().add_prefix("m_")]
    return pd.concat(parts, axis=1).fillna({"nb": 0, "lignes": 0}).reset_index()


def territory_links(territoires: pd.DataFrame) -> pd.DataFrame:
    """``niveau, code_commune, code, libelle`` for every level above the commune the project
    has (the levels of the financement and theme indicators)."""
    frames = [level_frame(territoires, level) for level in SUPRA_COMMUNAL]
    return pd.concat([f.assign(niveau=level)
                      for level, f in zip(SUPRA_COMMUNAL, frames, strict=True)
                      if f is not None], ignore_index=True)


def level_sums(links: pd.DataFrame, by_commune: pd.DataFrame,
               columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sums and largest single contribution of ``columns`` per (niveau, code, type of SIAE) of
    every level of ``links`` from ``commune_sums``. A sum is NaN when a row of the cell is, or
    when the cell has SIAE but no row; zero when it has no SIAE."""
    territories = links.drop_duplicates(["niveau", "code"])
    kinds = (ENSEMBLE, *TYPES_SIAE)
    full = pd.MultiIndex.from_arrays(
        [np.repeat(territories["niveau"].to_numpy(), len(kinds)),
         np.repeat(territories["code"].to_numpy(), len(kinds)),
         np.tile(np.array(kinds, dtype=object), len(territories))], names=CELL)
    joined = by_commune.merge(links[["niveau", "code_commune", "code"]], on="code_commune")
    counts = ["nb", "lignes", *(f"{p}{c}" for p in ("s_", "m_") for c in columns)]
    grouped = joined.groupby(CELL)
    level = grouped[counts].sum().join(grouped[[f"x_{c}" for c in columns]].max()) \
        .reindex(full)
    level[counts] = level[counts].fillna(0)
    known = (level[[f"m_{c}" for c in columns]].to_numpy() == 0) \
        & (level[["lignes"]].to_numpy() > 0)
    none = (level["nb"] == 0).to_numpy()[:, None]
    sums = np.where(none, 0.0, np.where(known, level[[f"s_{c}" for c in columns]]
                                        .to_numpy(dtype=float), np.nan))
    maxima = np.where(none, 0.0, np.where(known, level[[f"x_{c}" for c in columns]]
                                          .to_numpy(dtype=float), np.nan))
    return (pd.DataFrame(sums, index=full, columns=columns),
            pd.DataFrame(maxima, index=full, columns=columns))


def long_rows(wide: pd.DataFrame, maxima: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """``wide`` (index niveau, code, type_siae; a column per indicator) as rows of the
    indicator table, with ``contribution_max`` from ``maxima`` (same shape; NaN where the
    dominance rule does not apply)."""
    out = wide.rename_axis(columns="indicateur").stack(future_stack=True).rename("valeur") \
        .reset_index()
    # stack order: row by row, column by column
    out["contribution_max"] = maxima.to_numpy(dtype=float).ravel()
    labels = links.drop_duplicates(["niveau", "code"]).set_index(["niveau", "code"])["libelle"]
    out["libelle"] = labels.reindex(pd.MultiIndex.from_frame(out[["niveau", "code"]])) \
        .to_numpy()
    out["public"] = ENSEMBLE
    out["unite"] = out["indicateur"].map({c: BY_CODE[c].unite for c in wide.columns})
    out["valeur"] = out["valeur"].astype(float)
    return out


def financing_indicators(territoires: pd.DataFrame, structures: pd.DataFrame,
                         reponses: pd.DataFrame | None, rsa_annuel: float | None,
                         asp: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """The financement indicators of every level above the commune, kind and ``ensemble``
    (frames of rows of the indicator table, with ``contribution_max``): from the questionnaires
    when ``reponses`` is given (``equivalent_brsa`` is NaN without ``rsa_annuel``), the aide au
    poste of the ASP when ``asp`` (``core_asp``) has its amounts."""
    links = territory_links(territoires)
    frames = []
    if reponses is not None:
        frames.append(_questionnaire_financing(links, structures, reponses, rsa_annuel))
    if asp is not None and "aide_au_poste" in asp.columns:
        # the export covers every conventioned SIAE: a territory without any has zero
        located = asp[asp["code_commune"].notna()]
        data = located[["code_commune", "type_siae"]].assign(
            aide_au_poste_asp=located["aide_au_poste"].astype(float))
        sums, maxima = level_sums(links, commune_sums(located, data, ["aide_au_poste_asp"]),
                                  ["aide_au_poste_asp"])
        frames.append(long_rows(sums, maxima, links))
    return frames


def _questionnaire_financing(links: pd.DataFrame, structures: pd.DataFrame,
                             reponses: pd.DataFrame, rsa_annuel: float | None) -> pd.DataFrame:
    """The financement indicators drawn from the questionnaires."""
    by_commune = commune_sums(structures, financing_by_siae(structures, reponses),
                              list(MONTANTS))
    sums, maxima = level_sums(links, by_commune, list(MONTANTS))
    ratios = pd.DataFrame(index=sums.index)
    ratios["equivalent_brsa"] = sums["financement_departement"] / rsa_annuel \
        if rsa_annuel else np.nan
    resources = sums["chiffre_affaires"] + sums["financements_publics"]
    base = resources.where(resources > 0)
    ratios["part_autofinancement"] = sums["chiffre_affaires"] / base * 100
    ratios["dependance_aides_publiques"] = sums["financements_publics"] / base * 100
    wide = sums.join(ratios)
    return long_rows(wide, maxima.reindex(columns=wide.columns), links)
