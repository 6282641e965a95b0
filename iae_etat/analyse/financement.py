"""Financement of the SIAE from their questionnaires: amounts per territory and kind (pure).

An amount of a territory is the sum over its SIAE that answered; it is not available (NaN) when
one of them left a required field empty (aide au poste, chiffre d'affaires), zero when the
territory has no SIAE. An empty subsidy line counts as zero (a SIAE without funding from the
Région leaves the line blank). Next to each sum the largest contribution of a single SIAE is kept
(``contribution_max``) for the dominance rule of the statistical secrecy; it is never published.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from iae_etat.analyse.indicateurs import BY_CODE, ENSEMBLE, TYPES_SIAE
from iae_etat.analyse.niveaux import LEVELS, level_frame
from iae_etat.config import Projet
from iae_etat.errors import ConfigError

SUBVENTIONS = ("subvention_etat", "subvention_departement", "subvention_region",
               "subvention_communes", "subvention_fse", "subvention_autres")
# Amounts summed per territory: indicator → column of the per-SIAE frame.
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
CELL = ["code", "type_siae"]


def montant_rsa_annuel(projet: Projet) -> float | None:
    """``[financement] montant_rsa_annuel`` of the configuration, or None when absent."""
    section = projet.options.get("financement", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{projet.config_path} : [financement] doit être une section.")
    if "montant_rsa_annuel" not in section:
        return None
    value = section["montant_rsa_annuel"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        raise ConfigError(f"{projet.config_path} : [financement] montant_rsa_annuel doit être un "
                          f"montant en euros strictement positif (lu : {value!r}).")
    if not str(section.get("source", "")).strip():
        raise ConfigError(f"{projet.config_path} : [financement] montant_rsa_annuel doit être "
                          "accompagné de sa source (clé « source » : décret et date).")
    return float(value)


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


def level_sums(table: pd.DataFrame, structures: pd.DataFrame, data: pd.DataFrame,
               columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sums and largest single contribution of ``columns`` of ``data`` (one row per SIAE, with
    ``code_commune`` and ``type_siae``) per (code, type of SIAE) of one level, ``ensemble``
    included. A sum is NaN when a row of the cell is, or when the cell has SIAE but no row;
    zero when it has no SIAE."""
    link = table[["code_commune", "code"]]
    labels = table.drop_duplicates("code")["code"]
    full = pd.MultiIndex.from_product([labels, (ENSEMBLE, *TYPES_SIAE)], names=CELL)

    def by_cell(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.merge(link, on="code_commune")
        return pd.concat([frame, frame.assign(type_siae=ENSEMBLE)], ignore_index=True)

    located = structures.loc[structures["code_commune"].notna(), ["code_commune", "type_siae"]]
    nb = by_cell(located).groupby(CELL).size().reindex(full, fill_value=0)
    rows = by_cell(data[["code_commune", "type_siae", *columns]])
    grouped = rows.groupby(CELL)
    sums = grouped[columns].sum().reindex(full)
    maxima = grouped[columns].max().reindex(full)
    missing = rows[columns].isna().groupby([rows["code"], rows["type_siae"]]).sum() \
        .reindex(full, fill_value=0)
    answered = grouped.size().reindex(full, fill_value=0)
    known = (missing == 0).to_numpy() & (answered > 0).to_numpy()[:, None]
    sums = sums.where(known)
    maxima = maxima.where(known)
    none = (nb == 0).to_numpy()
    sums.loc[none] = 0.0
    maxima.loc[none] = 0.0
    return sums.astype(float), maxima.astype(float)


def long_rows(wide: pd.DataFrame, maxima: pd.DataFrame | None, labels: pd.Series,
              level: str) -> pd.DataFrame:
    """``wide`` (index code, type_siae; a column per indicator) as rows of the indicator table,
    with ``contribution_max`` from ``maxima`` (same shape) where given."""
    long = wide.rename_axis(columns="indicateur").stack(future_stack=True).rename("valeur")
    out = long.reset_index()
    if maxima is not None:
        top = maxima.rename_axis(columns="indicateur").stack(future_stack=True)
        out["contribution_max"] = top.reindex(pd.MultiIndex.from_frame(
            out[[*CELL, "indicateur"]])).to_numpy()
    else:
        out["contribution_max"] = np.nan
    out["public"] = ENSEMBLE
    out["niveau"] = level
    out["libelle"] = out["code"].map(labels)
    out["unite"] = out["indicateur"].map(lambda c: BY_CODE[c].unite)
    out["valeur"] = out["valeur"].astype(float)
    return out


def financing_indicators(territoires: pd.DataFrame, structures: pd.DataFrame,
                         reponses: pd.DataFrame, rsa_annuel: float | None) -> pd.DataFrame:
    """The financement indicators of every level, kind and ``ensemble`` (rows of the indicator
    table, with ``contribution_max``); ``equivalent_brsa`` is NaN without ``rsa_annuel``."""
    per_siae = financing_by_siae(structures, reponses)
    frames = []
    for level in LEVELS:
        table = level_frame(territoires, level)
        if table is None:
            continue
        sums, maxima = level_sums(table, structures, per_siae, list(MONTANTS))
        ratios = pd.DataFrame(index=sums.index)
        ratios["equivalent_brsa"] = sums["financement_departement"] / rsa_annuel \
            if rsa_annuel else np.nan
        resources = sums["chiffre_affaires"] + sums["financements_publics"]
        base = resources.where(resources > 0)
        ratios["part_autofinancement"] = sums["chiffre_affaires"] / base * 100
        ratios["dependance_aides_publiques"] = sums["financements_publics"] / base * 100
        labels = table.drop_duplicates("code").set_index("code")["libelle"]
        frames += [long_rows(sums, maxima, labels, level),
                   long_rows(ratios, None, labels, level)]
    return pd.concat(frames, ignore_index=True)
