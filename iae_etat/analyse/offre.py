"""The offer side of the indicators: SIAE, ETP and salariés per place (pure functions).

One figure per concept, from the best source (DESIGN §3). When the ASP extract (``core_asp``)
is given, the ETP conventionnés, the ETP réalisés and the salariés of *every* SIAE come from it
(a SIAE of the list absent from the extract counts 0): these are the figures of the territories,
the base of the taux d'équipement, of the indice de couverture and of the gaps. Without it, they
are the figures the respondents declared (weighted by the calage when it is chosen). The other
source's figure stays in the tables: the ``…_asp`` indicators, and the declared figures of the
respondents (``etp_conventionnes_questionnaires``…) for the reconciliation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.calage import etp_asp
from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE, TYPES_SIAE

FIGURES = ("etp_conventionnes", "etp_realises", "salaries_annee")
# The respondents' declared figures, published beside the best-source ones.
DECLARED = {f"{figure}_questionnaires": figure for figure in FIGURES}
COUNTS = ("nb", "repond", "etp_asp", "etp_asp_repond")
ASP_SUMS = {"etp_conventionnes_asp": "etp_conventionnes", "etp_realises_asp": "etp_realises",
            "salaries_asp": "salaries_annee", "sorties_asp": "sorties_hors_retraits",
            "sorties_dynamiques_asp": "sorties_dynamiques"}


def with_ensemble(data: pd.DataFrame, sums: dict[str, int]) -> pd.DataFrame:
    """Sums of ``data`` per (code_commune, type of SIAE) and per commune as ``ensemble``;
    ``sums`` gives each column's ``min_count``."""
    frames = []
    for keys, kind in ((["code_commune", "type_siae"], None), (["code_commune"], ENSEMBLE)):
        grouped = data.groupby(keys)
        part = pd.concat([grouped[[c for c, m in sums.items() if m == n]].sum(min_count=n)
                          for n in sorted(set(sums.values()))], axis=1).reset_index()
        if kind is not None:
            part["type_siae"] = kind
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def counts_by_commune(structures: pd.DataFrame, asp: pd.DataFrame | None) -> pd.DataFrame:
    """SIAE and respondents per (commune of the site, type of SIAE), with their ETP
    conventionnés of the ASP (``ensemble`` rows included)."""
    data = structures.dropna(subset=["code_commune"])
    repond = data["a_repondu"].astype(bool)
    etp = etp_asp(data, asp)
    frame = pd.DataFrame({"code_commune": data["code_commune"], "type_siae": data["type_siae"],
                          "nb": 1, "repond": repond.astype(int), "etp_asp": etp,
                          "etp_asp_repond": etp.where(repond, 0.0)})
    return with_ensemble(frame, dict.fromkeys(COUNTS, 0))


def factors(parts: pd.DataFrame, poids: pd.DataFrame | None) -> pd.DataFrame:
    """``siret, type_siae, code_commune, facteur``: the share of each respondent's figures
    counted at each place, times its calibration weight."""
    if poids is None:
        return parts.assign(facteur=parts["part"]).drop(columns="part")
    weighted = parts.merge(poids, on=["siret", "type_siae"], how="left", validate="m:1")
    weighted["facteur"] = weighted["part"] * weighted["poids"].astype(float).fillna(1.0)
    return weighted.drop(columns=["part", "poids"])


def asp_figures(structures: pd.DataFrame, asp: pd.DataFrame) -> pd.DataFrame:
    """``siret, type_siae`` and ``FIGURES`` of every structure from the ASP extract; a
    structure absent from the extract has no conventioned post that year: 0."""
    known = asp[["siret", "type_siae", *FIGURES]].drop_duplicates(["siret", "type_siae"])
    known = known.astype(dict.fromkeys(FIGURES, float))
    merged = structures[["siret", "type_siae"]].merge(known, on=["siret", "type_siae"],
                                                      how="left")
    return merged.fillna(dict.fromkeys(FIGURES, 0.0))


def figures_by_place(values: pd.DataFrame, factors_: pd.DataFrame) -> pd.DataFrame:
    """``values`` (``siret, type_siae`` and ``FIGURES``) per (place, type of SIAE), times
    their factors; ``contribue`` counts the parts that carry a figure."""
    data = factors_.merge(values[["siret", "type_siae", *FIGURES]],
                          on=["siret", "type_siae"], validate="m:1")
    for column in FIGURES:
        data[column] = data[column].astype("Float64").astype(float) * data["facteur"]
    data["contribue"] = 1
    data = data[["code_commune", "type_siae", "contribue", *FIGURES]]
    return with_ensemble(data, {"contribue": 0, **dict.fromkeys(FIGURES, 1)})


def declared_by_commune(structures: pd.DataFrame) -> pd.DataFrame:
    """The respondents' declared ``FIGURES`` per (commune of the site, type of SIAE), as the
    ``DECLARED`` columns (unweighted: what the questionnaires say)."""
    data = structures[structures["a_repondu"].astype(bool) & structures["code_commune"].notna()]
    frame = pd.DataFrame({"code_commune": data["code_commune"], "type_siae": data["type_siae"]})
    for code, figure in DECLARED.items():
        frame[code] = data[figure].astype("Float64").astype(float)
    return with_ensemble(frame, dict.fromkeys(DECLARED, 1))


def asp_indicators(table: pd.DataFrame, level: str, asp: pd.DataFrame) -> pd.DataFrame:
    """The ASP figures of one level: the export covers every conventioned SIAE, so a territory
    without any has zero."""
    data = asp.dropna(subset=["code_commune"]).copy()
    for column in ("sorties", "sorties_retraits", "sorties_durables", "sorties_transition",
                   "sorties_positives", "etp_conventionnes", "etp_realises", "salaries_annee"):
        data[column] = data[column].astype(float)
    data["sorties_hors_retraits"] = data["sorties"] - data["sorties_retraits"]
    data["sorties_dynamiques"] = data[["sorties_durables", "sorties_transition",
                                       "sorties_positives"]].sum(axis=1, min_count=3)
    data = data.merge(table[["code_commune", "code"]], on="code_commune")
    columns = list(ASP_SUMS.values())
    by_type = data.groupby(["code", "type_siae"])[columns].sum(min_count=1)
    ensemble = data.groupby("code")[columns].sum(min_count=1)
    ensemble.index = pd.MultiIndex.from_arrays([ensemble.index, [ENSEMBLE] * len(ensemble)],
                                               names=["code", "type_siae"])
    labels = table.drop_duplicates("code").set_index("code")["libelle"]
    full = pd.MultiIndex.from_product([labels.index, (ENSEMBLE, *TYPES_SIAE)],
                                      names=["code", "type_siae"])
    sums = pd.concat([by_type, ensemble]).reindex(full)
    present = sums.notna().any(axis=1)
    sums = sums.where(present, 0.0)
    rows = []
    for (code, kind), values in sums.iterrows():
        for indicator, column in ASP_SUMS.items():
            rows.append((code, indicator, kind, values[column]))
        base = values["sorties_hors_retraits"]
        rate = values["sorties_dynamiques"] / base * 100 if base and base > 0 else np.nan
        rows.append((code, "taux_sortie_dynamique_asp", kind, rate))
    out = pd.DataFrame(rows, columns=["code", "indicateur", "type_siae", "valeur"])
    out["public"] = ENSEMBLE
    out["niveau"] = level
    out["libelle"] = out["code"].map(labels)
    out["unite"] = out["indicateur"].map(lambda c: BY_CODE[c].unite)
    out["valeur"] = out["valeur"].astype(float)
    return out
