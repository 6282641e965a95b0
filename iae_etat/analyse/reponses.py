"""Indicators drawn from the questionnaires' answers: publics and sorties (pure functions).

Item non-response. A respondent that declared its salariés but left a public empty, or whose
answer was rejected by a control, loses that value only, not the aggregate: its value is
estimated as its salariés × the share of that public among the salariés of the respondents of
the same kind of SIAE that answered (all kinds together when none of its kind did). A territory's
count is published with ``+estimation`` in ``methode`` when it holds an estimate, and is « nd »
only when the estimated salariés weigh more than ``1 - COUVERTURE_MIN_REPONSES`` of the
salariés it is drawn from.

A public's share among the salariés is divided by the salariés of the same respondents (times
the same factors), never by the figure of another source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.offre import with_ensemble
from iae_etat.common.vocabulary import ENSEMBLE, EXIT_CATEGORIES, PUBLICS

# The smallest share of a cell's salariés whose answer is known (not estimated) for its count
# of a public to be published.
COUVERTURE_MIN_REPONSES = 0.5
EXITS = ("sorties", "sorties_dynamiques")
BASE = "salaries_repondantes"


def public_values(data: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """For every public, each row's salariés of that public (declared, else estimated) and the
    salariés whose answer is estimated (0 where declared). ``data`` holds ``type_siae``,
    ``salaries_annee`` and the answer columns, one row per structure."""
    total = data["salaries_annee"].astype("Float64").astype(float)
    values, estimated = {}, {}
    for public, (fields, _) in PUBLICS.items():
        value = data[list(fields)].astype(float).sum(axis=1, min_count=len(fields))
        known = value.notna() & total.notna()
        rate = _ratios(data["type_siae"], value.where(known), total.where(known))
        estimate = (total * data["type_siae"].map(rate).astype(float)).where(value.isna())
        values[public] = value.fillna(estimate).where(total.notna())
        estimated[public] = total.where(value.isna() & estimate.notna()).fillna(0.0)
    return values, estimated


def _ratios(kinds: pd.Series, value: pd.Series, total: pd.Series) -> pd.Series:
    """Share of a public among the declared salariés of each kind of SIAE (the share of all
    kinds for a kind without any answer)."""
    frame = pd.DataFrame({"type_siae": kinds.to_numpy(), "v": value.to_numpy(),
                          "t": total.to_numpy()}).dropna()
    sums = frame.groupby("type_siae")[["v", "t"]].sum()
    rates = sums["v"] / sums["t"].where(sums["t"] > 0)
    overall = frame["v"].sum() / frame["t"].sum() if frame["t"].sum() > 0 else np.nan
    return rates.reindex(pd.Index(kinds.unique())).fillna(overall)


def answers_by_place(structures: pd.DataFrame, reponses: pd.DataFrame,
                     factors: pd.DataFrame) -> pd.DataFrame:
    """Per (place, type of SIAE) and ``ensemble``: the figures of the respondents times their
    factors (``v_<name>``), the salariés whose answer on a public is estimated (``e_<name>``)
    and the declared
    salariés they are drawn from (``v_salaries_repondantes``).

    The exits count only the respondents that gave both their sorties and their sorties
    dynamiques.
    """
    columns = sorted({c for fields, _ in PUBLICS.values() for c in fields}
                     | {"sorties", "sorties_retraits", *EXIT_CATEGORIES})
    answers = reponses.reindex(columns=["siret", "type_siae", *columns])
    respondents = structures[["siret", "type_siae", "salaries_annee"]].merge(
        answers, on=["siret", "type_siae"], how="left", validate="1:1")
    values, estimated = public_values(respondents)
    per_structure = respondents[["siret", "type_siae"]].assign(
        **{f"v_{p}": v for p, v in values.items()},
        **{f"e_{p}": e for p, e in estimated.items()},
        **{f"v_{BASE}": respondents["salaries_annee"].astype("Float64").astype(float)})
    data = factors.merge(per_structure, on=["siret", "type_siae"], validate="m:1")
    data = data.merge(answers, on=["siret", "type_siae"], how="left", validate="m:1")
    factor = data["facteur"].astype(float)
    figures = {c: data[c] * factor for c in per_structure.columns if c[:2] in ("v_", "e_")}
    exits = {"sorties": data["sorties"].astype(float) - data["sorties_retraits"].astype(float),
             "sorties_dynamiques": data[list(EXIT_CATEGORIES)].astype(float)
             .sum(axis=1, min_count=len(EXIT_CATEGORIES))}
    both = exits["sorties"].notna() & exits["sorties_dynamiques"].notna()
    for name, value in exits.items():
        figures[f"v_{name}"] = value.where(both) * factor
    data = pd.concat([data[["code_commune", "type_siae"]], pd.DataFrame(figures)], axis=1)
    return with_ensemble(data, {**dict.fromkeys(figures, 1),
                                **{c: 0 for c in figures if c.startswith("e_")}})


def answer_sums(places: pd.DataFrame, sums: pd.DataFrame, answers: pd.DataFrame,
                names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The level's figures ``names`` per (code, type of SIAE), and whether each holds an
    estimate: unknown where the estimates weigh too much (see the module), zero where nothing is
    counted in the territory."""
    joined = answers.merge(places[["code_commune", "code"]], on="code_commune")
    joined = joined.reindex(columns=[*joined.columns.difference([f"e_{n}" for n in names]),
                                     *[f"e_{n}" for n in names]], fill_value=0.0)
    grouped = joined.groupby(["code", "type_siae"])
    values = [f"v_{n}" for n in dict.fromkeys([*names, BASE])]
    level = grouped[values].sum(min_count=1) \
        .join(grouped[[f"e_{n}" for n in names]].sum()).reindex(sums.index)
    base = level[f"v_{BASE}"].to_numpy(dtype=float)
    estimated = level[[f"e_{n}" for n in names]].fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(base[:, None] > 0, estimated / base[:, None], 0.0)
    count = level[[f"v_{n}" for n in names]].to_numpy(dtype=float)
    count = np.where(weight > 1 - COUVERTURE_MIN_REPONSES + 1e-12, np.nan, count)
    none = ((sums["nb"] == 0) & (sums["contribue"] == 0)).to_numpy()
    count[none] = 0.0  # truly none
    flags = (estimated > 0) & ~np.isnan(count)
    return (pd.DataFrame(count, index=sums.index, columns=names),
            pd.DataFrame(flags, index=sums.index, columns=names))


def exit_indicators(places: pd.DataFrame, sums: pd.DataFrame,
                    answers: pd.DataFrame) -> pd.DataFrame:
    """Sorties and taux de sortie dynamique for one level, from the questionnaires."""
    exits, _ = answer_sums(places, sums, answers, list(EXITS))
    base = exits["sorties"]
    exits["taux_sortie_dynamique"] = exits["sorties_dynamiques"] / base.where(base > 0) * 100
    long = exits.rename_axis(columns="indicateur").stack(future_stack=True).rename("valeur")
    return long.reset_index().assign(public=ENSEMBLE)


def public_needs_by_commune(besoins: pd.DataFrame) -> pd.DataFrame:
    """Per commune: ``de_abc`` and, for each public the needs describe, its demandeurs d'emploi
    (``d_<public>``, unknown if one of its columns is)."""
    data = besoins.set_index("code_commune")
    out = pd.DataFrame({"de_abc": data.reindex(columns=["de_abc"])["de_abc"].astype(float)})
    for public, (_, needs) in PUBLICS.items():
        if needs:
            out[f"d_{public}"] = data.reindex(columns=list(needs)).astype(float) \
                .sum(axis=1, min_count=len(needs))
    return out


def public_indicators(table: pd.DataFrame, places: pd.DataFrame, sums: pd.DataFrame,
                      answers: pd.DataFrame, public_needs: pd.DataFrame) -> pd.DataFrame:
    """Représentativité des publics for one level; ``sums`` are the level's offer sums per
    (code, type of SIAE). Rows ``code, indicateur, type_siae, public, valeur, estime``."""
    names = list(PUBLICS)
    count, flags = answer_sums(places, sums, answers, [*names, BASE])
    salaries = count.pop(BASE)
    flags = flags.drop(columns=BASE)
    share = count.div(salaries.where(salaries > 0), axis=0) * 100
    frames = [_public_long(count, "salaries_public", flags),
              _public_long(share, "part_public_salaries", flags)]

    described = [p for p in names if PUBLICS[p][1]]
    needs = public_needs.reindex(table["code_commune"])
    needs.index = table["code"].to_numpy()
    de_abc = needs["de_abc"].groupby(level=0).sum(min_count=1)
    de_public = needs[[f"d_{p}" for p in described]].groupby(level=0).sum(min_count=1)
    gaps = (needs[[f"d_{p}" for p in described]].isna().to_numpy()
            & needs[["de_abc"]].notna().to_numpy())
    gap = pd.DataFrame(gaps, index=needs.index).groupby(level=0).sum().to_numpy() > 0
    de_public.columns = described
    share_de = de_public.div(de_abc.where(de_abc > 0), axis=0).where(~gap) * 100
    ensemble = pd.MultiIndex.from_product([de_public.index, [ENSEMBLE]],
                                          names=["code", "type_siae"])
    frames.append(_public_long(de_public.set_axis(ensemble), "de_public"))
    frames.append(_public_long(share_de.set_axis(ensemble), "part_public_de_abc"))
    gap_points = share.loc[ensemble, described] - share_de.set_axis(ensemble)
    frames.append(_public_long(gap_points, "ecart_representativite",
                               flags.loc[ensemble, described]))
    return pd.concat(frames, ignore_index=True)


def _public_long(wide: pd.DataFrame, indicator: str,
                 flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """``wide`` (index code, type_siae; a column per public) as long rows of ``indicator``,
    with ``estime`` from ``flags`` (same shape) when given."""
    long = wide.rename_axis(columns="public").stack(future_stack=True).rename("valeur")
    out = long.reset_index().assign(indicateur=indicator)
    if flags is not None:
        out["estime"] = flags.rename_axis(columns="public").stack(future_stack=True) \
            .to_numpy(dtype=bool)
    else:
        out["estime"] = False
    return out
