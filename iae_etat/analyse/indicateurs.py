"""Indicators per territory: offer, needs, coverage — pure functions, no I/O.

Every indicator is declared once in ``schemas/indicateurs.yaml`` (``iae_etat.common.indicators``)
with its French label, definition, formula and unit; this module computes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse import attribution
from iae_etat.analyse.calage import etp_asp
from iae_etat.analyse.computed import computed_indicators
from iae_etat.analyse.financement import financing_indicators
from iae_etat.analyse.secret import CONTRIBUTION_MAX
from iae_etat.analyse.themes import theme_indicators
from iae_etat.common.indicators import BY_CODE, NEEDS
from iae_etat.common.vocabulary import (
    ENSEMBLE,
    EXIT_CATEGORIES,
    LEVELS,
    PUBLICS,
    TYPES_SIAE,
)
from iae_etat.tables.codage import as_dictionary, concat, map_categories
from iae_etat.territoires.levels import level_frame

OFFER_INDICATORS = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee",
                    "taux_reponse", "taux_reponse_etp", "realisation_etp")
FIGURES = ("etp_conventionnes", "etp_realises", "salaries_annee")
# Indicators built on the respondents' figures: attributed by site or residence, weighted by the
# calage; the other offer indicators stay at the site, the needs have no attribution.
ATTRIBUTED = frozenset({*FIGURES, "realisation_etp", "sorties", "sorties_dynamiques",
                        "taux_sortie_dynamique", "salaries_public", "part_public_salaries",
                        "ecart_representativite", "taux_equipement_etp_de_abc",
                        "taux_equipement_etp_brsa"})
NEEDS_ONLY = frozenset({"de_abc", "foyers_rsa", "de_public", "part_public_de_abc"})
SANS_OBJET = "sans objet"
CALAGE = "calage"
EXITS = ("sorties", "sorties_dynamiques")
OUTPUT_COLUMNS = ["niveau", "code", "libelle", "indicateur", "unite", "type_siae", "public",
                  "valeur", "methode"]
TEXT_COLUMNS = [c for c in OUTPUT_COLUMNS if c != "valeur"]  # held as dictionary codes


def indicators(territoires: pd.DataFrame, structures: pd.DataFrame,
               besoins: pd.DataFrame, asp: pd.DataFrame | None = None,
               reponses: pd.DataFrame | None = None, residence: pd.DataFrame | None = None,
               poids: pd.DataFrame | None = None,
               levels: tuple[str, ...] = LEVELS, rsa_annuel: float | None = None,
               couts: list[dict] | None = None,
               besoins_territoires: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator of the catalogue for every level (of ``levels``), type of SIAE and
    ``ensemble``.

    Returns the long table (columns ``OUTPUT_COLUMNS`` and ``CONTRIBUTION_MAX``, the text
    columns as categoricals) before secrecy; ``valeur`` is NaN where the data are not
    available. The ``…_asp`` indicators (and ``taux_reponse_etp``) are computed only when
    ``asp`` (the table ``core_asp``) is given; the sorties, the publics, the financement and the
    optional themes of the questionnaires only when ``reponses`` (``raw_questionnaires``) is;
    ``rsa_annuel`` gives the équivalent BRSA, ``couts``
    (the unit costs of ``[valorisation]``) the coûts évités. With ``residence``
    (``raw_questionnaires_residence``) the EPCI and département levels attribute the
    respondents' figures by residence (see ``attribution``); with ``poids`` (``siret, type_siae,
    poids`` from ``ponderation``) the respondents' figures are weighted estimates. ``methode``
    records, per row, the attribution and the calage used; the financement and the themes are
    always the respondents' figures by implantation. ``besoins_territoires``
    (``core_besoins_territoires``) gives the share of each public among the DE ABC of the
    territories whose source gives its own complete figures (``de_source_niveau``).
    """
    site = attribution.implantation(structures)
    spread = None if residence is None else attribution.residence(structures, residence,
                                                                  territoires)
    counts = _counts_by_commune(structures, asp)
    needs = besoins.set_index("code_commune").reindex(columns=list(NEEDS)) \
        if not besoins.empty else pd.DataFrame({n: pd.Series(dtype="Float64") for n in NEEDS})
    public_needs = None if reponses is None else _public_needs_by_commune(besoins)
    by_parts = {}
    for name, parts in (("implantation", site), ("residence", spread)):
        if parts is not None:
            factors = _factors(parts, poids)
            answers = None if reponses is None else _answers_by_place(structures, reponses,
                                                                      factors)
            by_parts[name] = (_figures_by_place(structures, factors), answers)
    frames = []
    for level in levels:
        table = level_frame(territoires, level)
        if table is None:
            continue
        method = "residence" if spread is not None and level in attribution.RESIDENCE_LEVELS \
            else "implantation"
        places = attribution.places(table, territoires, level) if method == "residence" \
            else table
        figures, answers = by_parts[method]
        out = _level_indicators(table, places, level, counts, figures, needs,
                                None if answers is None else (answers, public_needs),
                                asp is not None)
        out["methode"] = _method_label(out["indicateur"], method, poids is not None)
        frames.append(out)
        if asp is not None:
            frames.append(_asp_indicators(table, level, asp).assign(methode="implantation"))
    extra = financing_indicators(territoires, structures, reponses, rsa_annuel, asp)
    if reponses is not None:
        extra.append(theme_indicators(territoires, structures, reponses, couts or []))
    frames += [frame[frame["niveau"].isin(levels)].assign(methode="implantation")
               for frame in extra]
    out = concat(frames, [*OUTPUT_COLUMNS, CONTRIBUTION_MAX], TEXT_COLUMNS)
    if besoins_territoires is not None and reponses is not None:
        out = _own_public_shares(out, besoins_territoires)
    computed = computed_indicators(out)  # analyse/computed.py: one function per indicator
    if not computed.empty:
        out = concat([out, computed], [*OUTPUT_COLUMNS, CONTRIBUTION_MAX], TEXT_COLUMNS)
    return out


def _own_public_shares(table: pd.DataFrame, besoins_territoires: pd.DataFrame) -> pd.DataFrame:
    """``part_public_de_abc`` and ``ecart_representativite`` of the territories whose DE come
    from the source's own figures: the communes' sums miss the publics under the source's
    secrecy (not available), the territory's own figures do not."""
    own = besoins_territoires[besoins_territoires["de_source_niveau"].astype(bool)]
    frames = []
    for public, (_, columns) in PUBLICS.items():
        if columns and set(columns) <= set(own.columns):
            de_public = own[list(columns)].astype(float).sum(axis=1, min_count=len(columns))
            de_abc = own["de_abc"].astype(float)
            frames.append(pd.DataFrame({"niveau": own["niveau"], "code": own["code"],
                                        "public": public,
                                        "part": de_public / de_abc.where(de_abc > 0) * 100}))
    shares = pd.concat(frames, ignore_index=True).dropna(subset=["part"]) if frames else None
    if shares is None or shares.empty:
        return table
    key = ["niveau", "code", "public"]
    rows = table[table["niveau"].isin(set(shares["niveau"])) & (table["type_siae"] == ENSEMBLE)
                 & table["indicateur"].isin(["part_public_de_abc", "ecart_representativite",
                                             "part_public_salaries"])]
    rows = rows[key + ["indicateur", "valeur"]].reset_index().merge(shares, on=key)
    salaries = rows[rows["indicateur"] == "part_public_salaries"].set_index(key)["valeur"]
    table = table.copy()
    part = rows[rows["indicateur"] == "part_public_de_abc"]
    table.loc[part["index"], "valeur"] = part["part"].to_numpy()
    gap = rows[rows["indicateur"] == "ecart_representativite"]
    table.loc[gap["index"], "valeur"] = salaries.reindex(
        pd.MultiIndex.from_frame(gap[key])).to_numpy() - gap["part"].to_numpy()
    return table


def _method_label(indicateur: pd.Series, method: str, calage: bool) -> pd.Series:
    """``methode`` of each row: the attribution of the offer (``+calage`` for weighted
    estimates), ``implantation`` for the counts of SIAE, ``sans objet`` for the needs."""
    attributed = f"{method}+{CALAGE}" if calage else method
    labels = {code: attributed if code in ATTRIBUTED else SANS_OBJET if code in NEEDS_ONLY
              else "implantation" for code in BY_CODE}
    return map_categories(indicateur, labels)


ASP_SUMS = {"etp_conventionnes_asp": "etp_conventionnes", "etp_realises_asp": "etp_realises",
            "salaries_asp": "salaries_annee", "sorties_asp": "sorties_hors_retraits",
            "sorties_dynamiques_asp": "sorties_dynamiques"}


def _asp_indicators(table: pd.DataFrame, level: str, asp: pd.DataFrame) -> pd.DataFrame:
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


def _factors(parts: pd.DataFrame, poids: pd.DataFrame | None) -> pd.DataFrame:
    """``siret, type_siae, code_commune, facteur``: the share of each respondent's figures
    counted at each place, times its calibration weight."""
    if poids is None:
        return parts.assign(facteur=parts["part"]).drop(columns="part")
    weighted = parts.merge(poids, on=["siret", "type_siae"], how="left", validate="m:1")
    weighted["facteur"] = weighted["part"] * weighted["poids"].astype(float).fillna(1.0)
    return weighted.drop(columns=["part", "poids"])


def _with_ensemble(data: pd.DataFrame, sums: dict[str, int]) -> pd.DataFrame:
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


COUNTS = ("nb", "repond", "etp_asp", "etp_asp_repond")


def _counts_by_commune(structures: pd.DataFrame, asp: pd.DataFrame | None) -> pd.DataFrame:
    """SIAE and respondents per (commune of the site, type of SIAE), with their ETP
    conventionnés of the ASP (``ensemble`` rows included)."""
    data = structures.dropna(subset=["code_commune"])
    repond = data["a_repondu"].astype(bool)
    etp = etp_asp(data, asp)
    frame = pd.DataFrame({"code_commune": data["code_commune"], "type_siae": data["type_siae"],
                          "nb": 1, "repond": repond.astype(int), "etp_asp": etp,
                          "etp_asp_repond": etp.where(repond, 0.0)})
    return _with_ensemble(frame, dict.fromkeys(COUNTS, 0))


def _figures_by_place(structures: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """The respondents' ETP and salariés per (place, type of SIAE), times their factors;
    ``contribue`` counts the respondents' parts."""
    data = factors.merge(structures[["siret", "type_siae", *FIGURES]],
                         on=["siret", "type_siae"], validate="m:1")
    for column in FIGURES:
        data[column] = data[column].astype("Float64").astype(float) * data["facteur"]
    data["contribue"] = 1
    data = data[["code_commune", "type_siae", "contribue", *FIGURES]]
    return _with_ensemble(data, {"contribue": 0, **dict.fromkeys(FIGURES, 1)})


def _level_indicators(table: pd.DataFrame, places: pd.DataFrame, level: str,
                      counts: pd.DataFrame, figures: pd.DataFrame, needs: pd.DataFrame,
                      answers: tuple[pd.DataFrame, pd.DataFrame] | None,
                      with_asp: bool) -> pd.DataFrame:
    """Indicators for one level; ``table`` maps each commune to its territory at that level,
    ``places`` maps the places of the respondents' figures (communes, or EPCI by residence)."""
    labels = table.drop_duplicates("code").set_index("code")["libelle"]
    territories = labels.index
    full = pd.MultiIndex.from_product([territories, (ENSEMBLE, *TYPES_SIAE)],
                                      names=["code", "type_siae"])
    sited = counts.merge(table[["code_commune", "code"]], on="code_commune") \
        .groupby(["code", "type_siae"])[list(COUNTS)].sum()
    placed = figures.merge(places[["code_commune", "code"]], on="code_commune") \
        .groupby(["code", "type_siae"])
    placed = placed[["contribue"]].sum().join(placed[list(FIGURES)].sum(min_count=1))
    sums = pd.concat([sited, placed], axis=1).reindex(full)
    sums[[*COUNTS, "contribue"]] = sums[[*COUNTS, "contribue"]].fillna(0)
    has_respondent = sums["contribue"] > 0
    empty = (sums["nb"] == 0) & ~has_respondent
    for column in FIGURES:
        # nothing there: the offer is truly zero; structures but no answer: not available
        sums[column] = sums[column].astype(float).where(has_respondent | empty, np.nan)
        sums.loc[empty, column] = 0.0
    etp_conventionnes = sums["etp_conventionnes"]
    sums["realisation_etp"] = sums["etp_realises"] / etp_conventionnes.where(
        etp_conventionnes > 0) * 100
    sums["taux_reponse"] = np.where(sums["nb"] > 0,
                                    sums["repond"] / sums["nb"].where(sums["nb"] > 0) * 100,
                                    np.nan)
    etp_asp_total = sums["etp_asp"].where((sums["nb"] > 0) & (sums["etp_asp"] > 0) & with_asp)
    sums["taux_reponse_etp"] = sums["etp_asp_repond"] / etp_asp_total * 100
    offer_rows = sums.rename(columns={"nb": "nb_siae"})[list(OFFER_INDICATORS)]
    offer_rows.columns.name = "indicateur"
    offer_rows = offer_rows.stack(future_stack=True).rename("valeur").reset_index()
    etp = sums.xs(ENSEMBLE, level="type_siae")["etp_conventionnes"]
    need_columns = {}
    for need, rate_code in NEEDS.items():
        values = needs.reindex(table["code_commune"])[need].astype(float)
        by_code = pd.Series(values.to_numpy(), index=table["code"].to_numpy()) \
            .groupby(level=0).sum(min_count=1).reindex(etp.index)
        need_columns[need] = by_code
        need_columns[rate_code] = etp / by_code.where(by_code > 0) * 1000
    needs_rows = pd.DataFrame(need_columns)
    needs_rows.columns.name = "indicateur"
    needs_rows = needs_rows.stack(future_stack=True).rename("valeur").reset_index()
    needs_rows["type_siae"] = ENSEMBLE
    out = pd.concat([offer_rows, needs_rows], ignore_index=True)
    out["public"] = ENSEMBLE
    if answers is not None:
        by_place, public_needs = answers
        out = pd.concat([out, _exit_indicators(places, sums, by_place),
                         _public_indicators(table, places, sums, by_place, public_needs)],
                        ignore_index=True)
    out = as_dictionary(out, ["code", "indicateur", "type_siae", "public"])
    out["niveau"] = pd.Categorical.from_codes(np.zeros(len(out), dtype=np.int8), [level])
    out["libelle"] = map_categories(out["code"], labels)
    out["unite"] = map_categories(out["indicateur"], {c: i.unite for c, i in BY_CODE.items()})
    out["valeur"] = out["valeur"].astype(float)
    return out


def _answers_by_place(structures: pd.DataFrame, reponses: pd.DataFrame,
                      factors: pd.DataFrame) -> pd.DataFrame:
    """Per (place, type of SIAE) and ``ensemble``: the figures of the respondents times their
    factors (``v_<name>``) and, for the publics, how many respondents with known salariés left
    the public empty (``m_<name>``).

    A public counts only the respondents whose salariés are known, as ``salaries_annee`` does,
    so that its share is divided by the published total; the exits count only the respondents
    that gave both their sorties and their sorties dynamiques.
    """
    columns = sorted({c for fields, _ in PUBLICS.values() for c in fields}
                     | {"sorties", "sorties_retraits", *EXIT_CATEGORIES})
    answers = reponses.reindex(columns=["siret", "type_siae", *columns])
    data = factors.merge(structures[["siret", "type_siae", "salaries_annee"]],
                         on=["siret", "type_siae"], validate="m:1")
    data = data.merge(answers, on=["siret", "type_siae"], how="left", validate="m:1")
    known_total = data["salaries_annee"].notna()
    factor = data["facteur"].astype(float)
    figures = {}
    for public, (fields, _) in PUBLICS.items():
        value = data[list(fields)].astype(float).sum(axis=1, min_count=len(fields))
        figures[f"v_{public}"] = value.where(known_total) * factor
        figures[f"m_{public}"] = (value.isna() & known_total).astype(int)
    exits = {"sorties": data["sorties"].astype(float) - data["sorties_retraits"].astype(float),
             "sorties_dynamiques": data[list(EXIT_CATEGORIES)].astype(float)
             .sum(axis=1, min_count=len(EXIT_CATEGORIES))}
    both = exits["sorties"].notna() & exits["sorties_dynamiques"].notna()
    for name, value in exits.items():
        figures[f"v_{name}"] = value.where(both) * factor
    data = pd.concat([data[["code_commune", "type_siae"]], pd.DataFrame(figures)], axis=1)
    return _with_ensemble(data, dict.fromkeys(figures, 1))


def _answer_sums(places: pd.DataFrame, sums: pd.DataFrame, answers: pd.DataFrame,
                 names: list[str]) -> pd.DataFrame:
    """The level's figures ``names`` per (code, type of SIAE): unknown where a respondent left
    one empty (``m_<name>``, when counted), zero where nothing is counted in the territory."""
    joined = answers.merge(places[["code_commune", "code"]], on="code_commune")
    joined = joined.reindex(columns=[*joined.columns.difference([f"m_{n}" for n in names]),
                                     *[f"m_{n}" for n in names]], fill_value=0)
    grouped = joined.groupby(["code", "type_siae"])
    level = grouped[[f"v_{n}" for n in names]].sum(min_count=1) \
        .join(grouped[[f"m_{n}" for n in names]].sum()).reindex(sums.index)
    missing = level[[f"m_{n}" for n in names]].fillna(0).to_numpy() > 0
    count = np.where(missing, np.nan, level[[f"v_{n}" for n in names]].to_numpy(dtype=float))
    count[((sums["nb"] == 0) & (sums["contribue"] == 0)).to_numpy()] = 0.0  # truly none
    return pd.DataFrame(count, index=sums.index, columns=names)


def _exit_indicators(places: pd.DataFrame, sums: pd.DataFrame,
                     answers: pd.DataFrame) -> pd.DataFrame:
    """Sorties and taux de sortie dynamique for one level, from the questionnaires."""
    exits = _answer_sums(places, sums, answers, list(EXITS))
    base = exits["sorties"]
    exits["taux_sortie_dynamique"] = exits["sorties_dynamiques"] / base.where(base > 0) * 100
    long = exits.rename_axis(columns="indicateur").stack(future_stack=True).rename("valeur")
    return long.reset_index().assign(public=ENSEMBLE)


def _public_needs_by_commune(besoins: pd.DataFrame) -> pd.DataFrame:
    """Per commune: ``de_abc`` and, for each public the needs describe, its demandeurs d'emploi
    (``d_<public>``, unknown if one of its columns is)."""
    data = besoins.set_index("code_commune")
    out = pd.DataFrame({"de_abc": data.reindex(columns=["de_abc"])["de_abc"].astype(float)})
    for public, (_, needs) in PUBLICS.items():
        if needs:
            out[f"d_{public}"] = data.reindex(columns=list(needs)).astype(float) \
                .sum(axis=1, min_count=len(needs))
    return out


def _public_indicators(table: pd.DataFrame, places: pd.DataFrame, sums: pd.DataFrame,
                       answers: pd.DataFrame, public_needs: pd.DataFrame) -> pd.DataFrame:
    """Représentativité des publics for one level; ``sums`` are the level's offer sums per
    (code, type of SIAE). Rows ``code, indicateur, type_siae, public, valeur``."""
    names = list(PUBLICS)
    count = _answer_sums(places, sums, answers, names)
    salaries = sums["salaries_annee"]
    share = count.div(salaries.where(salaries > 0), axis=0) * 100
    frames = [_public_long(count, "salaries_public"), _public_long(share, "part_public_salaries")]

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
    frames.append(_public_long(gap_points, "ecart_representativite"))
    return pd.concat(frames, ignore_index=True)


def _public_long(wide: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """``wide`` (index code, type_siae; a column per public) as long rows of ``indicator``."""
    long = wide.rename_axis(columns="public").stack(future_stack=True).rename("valeur")
    return long.reset_index().assign(indicateur=indicator)
