"""Indicators per territory: offer, needs, coverage — pure functions, no I/O.

Every indicator is declared once in ``schemas/indicateurs.yaml`` (``iae_etat.common.indicators``)
with its French label, definition, formula and unit; this module computes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse import attribution, offre
from iae_etat.analyse import reponses as reponses_module
from iae_etat.analyse.computed import computed_indicators
from iae_etat.analyse.financement import financing_indicators
from iae_etat.analyse.secret import CONTRIBUTION_MAX
from iae_etat.analyse.themes import theme_indicators
from iae_etat.common.indicators import BY_CODE, NEEDS
from iae_etat.common.vocabulary import ENSEMBLE, LEVELS, PUBLICS, TYPES_SIAE
from iae_etat.tables.codage import as_dictionary, concat, map_categories
from iae_etat.territoires.levels import level_frame

OFFER_INDICATORS = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee",
                    "taux_reponse", "taux_reponse_etp", "realisation_etp")
FIGURES = offre.FIGURES
COUNTS = offre.COUNTS
# Indicators built on the respondents' figures: attributed by site or residence, weighted by the
# calage; the other offer indicators stay at the site, the needs have no attribution. With the
# ASP extract, the FIGURES (and what is drawn from them) are those of every SIAE instead.
ATTRIBUTED = frozenset({*FIGURES, "realisation_etp", "sorties", "sorties_dynamiques",
                        "taux_sortie_dynamique", "salaries_public", "part_public_salaries",
                        "ecart_representativite", "taux_equipement_etp_de_abc",
                        "taux_equipement_etp_brsa"})
FROM_FIGURES = frozenset({*FIGURES, "realisation_etp", "taux_equipement_etp_de_abc",
                          "taux_equipement_etp_brsa"})
NEEDS_ONLY = frozenset({"de_abc", "foyers_rsa", "de_public", "part_public_de_abc",
                        "de_abc_non_ventile"})
SANS_OBJET = "sans objet"
CALAGE = "calage"
ASP = "asp"
ESTIMATION = "estimation"
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
    available. With ``asp`` (the table ``core_asp``) the ETP and salariés of the territories are
    those of every SIAE from the ASP (see ``offre``), the respondents' declared figures are the
    ``…_questionnaires`` indicators, and the ``…_asp`` indicators (and ``taux_reponse_etp``) are
    computed; the sorties, the publics, the financement and the
    optional themes of the questionnaires only when ``reponses`` (``raw_questionnaires``) is;
    ``rsa_annuel`` gives the équivalent BRSA, ``couts``
    (the unit costs of ``[valorisation]``) the coûts évités. With ``residence``
    (``raw_questionnaires_residence``) the EPCI and département levels attribute the
    figures by residence (see ``attribution``); with ``poids`` (``siret, type_siae,
    poids`` from ``ponderation``) the respondents' figures are weighted estimates. ``methode``
    records, per row, the attribution, the source and the estimates used; the financement and
    the themes are always the respondents' figures by implantation. ``besoins_territoires``
    (``core_besoins_territoires``) gives the needs of each territory as the source counts them
    (its own figure where it publishes one, e.g. France Travail by département) and the
    demandeurs d'emploi its communes leave « non ventilés ».
    """
    site = attribution.implantation(structures)
    spread = None if residence is None else attribution.residence(structures, residence,
                                                                  territoires)
    counts = offre.counts_by_commune(structures, asp)
    needs = besoins.set_index("code_commune").reindex(columns=list(NEEDS)) \
        if not besoins.empty else pd.DataFrame({n: pd.Series(dtype="Float64") for n in NEEDS})
    public_needs = None if reponses is None else reponses_module.public_needs_by_commune(besoins)
    every = None if asp is None else offre.asp_figures(structures, asp)
    by_parts = {}
    for name, parts in (("implantation", site), ("residence", spread)):
        if parts is None:
            continue
        factors = offre.factors(parts, poids)
        answers = None if reponses is None else reponses_module.answers_by_place(
            structures, reponses, factors)
        if every is None:
            figures = offre.figures_by_place(structures, factors)
        else:  # every SIAE, at its site or spread like its respondent's salariés
            everywhere = attribution.implantation(structures, repondantes=False)
            if name == "residence":
                everywhere = attribution.residence(structures, residence, territoires,
                                                   repondantes=False)
            figures = offre.figures_by_place(every, offre.factors(everywhere, None))
        by_parts[name] = (figures, answers)
    declared = None if asp is None else offre.declared_by_commune(structures)
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
        own = _level_needs(besoins_territoires, level)
        out = _level_indicators(table, places, level, counts, figures, needs, own,
                                None if answers is None else (answers, public_needs),
                                asp is not None)
        out["methode"] = _method_label(out, method, poids is not None, asp is not None)
        frames.append(out.drop(columns="estime"))
        if asp is not None:
            frames.append(offre.asp_indicators(table, level, asp).assign(methode="implantation"))
            frames.append(_declared_indicators(table, level, declared))
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


def _level_needs(besoins_territoires: pd.DataFrame | None, level: str) -> pd.DataFrame | None:
    """The needs of the territories of ``level`` as the source counts them (``code`` index)."""
    if besoins_territoires is None:
        return None
    rows = besoins_territoires[besoins_territoires["niveau"] == level]
    return rows.set_index(rows["code"].astype(str))


def _declared_indicators(table: pd.DataFrame, level: str,
                         declared: pd.DataFrame) -> pd.DataFrame:
    """The respondents' declared figures (``…_questionnaires``) of one level, for the
    reconciliation with the ASP: a territory without respondent has none (nd)."""
    labels = table.drop_duplicates("code").set_index("code")["libelle"]
    full = pd.MultiIndex.from_product([labels.index, (ENSEMBLE, *TYPES_SIAE)],
                                      names=["code", "type_siae"])
    sums = declared.merge(table[["code_commune", "code"]], on="code_commune") \
        .groupby(["code", "type_siae"])[list(offre.DECLARED)].sum(min_count=1).reindex(full)
    long = sums.rename_axis(columns="indicateur").stack(future_stack=True).rename("valeur")
    out = long.reset_index()
    out["public"] = ENSEMBLE
    out["niveau"] = level
    out["libelle"] = out["code"].map(labels)
    out["unite"] = out["indicateur"].map(lambda c: BY_CODE[c].unite)
    out["valeur"] = out["valeur"].astype(float)
    return out.assign(methode="implantation")


def _own_public_shares(table: pd.DataFrame, besoins_territoires: pd.DataFrame) -> pd.DataFrame:
    """``de_public``, ``part_public_de_abc`` and ``ecart_representativite`` of the territories
    whose DE come
    from the source's own figures: the communes' sums miss the publics under the source's
    secrecy (not available), the territory's own figures do not."""
    own = besoins_territoires[besoins_territoires["de_source_niveau"].astype(bool)]
    frames = []
    for public, (_, columns) in PUBLICS.items():
        if columns and set(columns) <= set(own.columns):
            de_public = own[list(columns)].astype(float).sum(axis=1, min_count=len(columns))
            de_abc = own["de_abc"].astype(float)
            frames.append(pd.DataFrame({"niveau": own["niveau"], "code": own["code"],
                                        "public": public, "nombre": de_public,
                                        "part": de_public / de_abc.where(de_abc > 0) * 100}))
    shares = pd.concat(frames, ignore_index=True).dropna(subset=["part"]) if frames else None
    if shares is None or shares.empty:
        return table
    key = ["niveau", "code", "public"]
    rows = table[table["niveau"].isin(set(shares["niveau"])) & (table["type_siae"] == ENSEMBLE)
                 & table["indicateur"].isin(["de_public", "part_public_de_abc",
                                             "ecart_representativite",
                                             "part_public_salaries"])]
    rows = rows[key + ["indicateur", "valeur"]].reset_index().merge(shares, on=key)
    salaries = rows[rows["indicateur"] == "part_public_salaries"].set_index(key)["valeur"]
    table = table.copy()
    part = rows[rows["indicateur"] == "part_public_de_abc"]
    table.loc[part["index"], "valeur"] = part["part"].to_numpy()
    count = rows[rows["indicateur"] == "de_public"]
    table.loc[count["index"], "valeur"] = count["nombre"].to_numpy()
    gap = rows[rows["indicateur"] == "ecart_representativite"]
    table.loc[gap["index"], "valeur"] = salaries.reindex(
        pd.MultiIndex.from_frame(gap[key])).to_numpy() - gap["part"].to_numpy()
    return table


def _method_label(out: pd.DataFrame, method: str, calage: bool, asp: bool) -> pd.Series:
    """``methode`` of each row: the attribution of the offer (``+asp`` for the figures of
    every SIAE from the ASP, ``+calage`` for weighted estimates, ``+estimation`` where a
    missing answer was estimated), ``implantation`` for the counts of SIAE, ``sans objet`` for
    the needs."""
    attributed = f"{method}+{CALAGE}" if calage else method
    labels = {code: f"{method}+{ASP}" if asp and code in FROM_FIGURES
              else attributed if code in ATTRIBUTED else SANS_OBJET if code in NEEDS_ONLY
              else "implantation" for code in BY_CODE}
    methode = map_categories(out["indicateur"], labels)
    estime = out["estime"].fillna(False).astype(bool).to_numpy()
    if not estime.any():
        return methode
    text = methode.astype(str)
    text[estime] = text[estime] + f"+{ESTIMATION}"
    return text.astype("category")


def _level_indicators(table: pd.DataFrame, places: pd.DataFrame, level: str,
                      counts: pd.DataFrame, figures: pd.DataFrame, needs: pd.DataFrame,
                      own: pd.DataFrame | None, answers: tuple[pd.DataFrame, pd.DataFrame] | None,
                      with_asp: bool) -> pd.DataFrame:
    """Indicators for one level; ``table`` maps each commune to its territory at that level,
    ``places`` maps the places of the figures (communes, or EPCI by residence); ``own`` holds
    the needs of the level's territories as the source counts them (else the communes' sums)."""
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
        if need == "de_abc" and own is not None and "de_source_niveau" in own.columns:
            source = own["de_source_niveau"].astype(bool).reindex(etp.index, fill_value=False)
            figure = own["de_abc"].astype(float).reindex(etp.index)
            # the source's own figure less what its communes show: masked small cells
            need_columns["de_abc_non_ventile"] = (figure - by_code.fillna(0.0)).where(source)
        if own is not None and need in own.columns:
            by_code = own[need].astype(float).reindex(etp.index)
        need_columns[need] = by_code
        need_columns[rate_code] = etp / by_code.where(by_code > 0) * 1000
    needs_rows = pd.DataFrame(need_columns)
    needs_rows.columns.name = "indicateur"
    needs_rows = needs_rows.stack(future_stack=True).rename("valeur").reset_index()
    needs_rows["type_siae"] = ENSEMBLE
    out = pd.concat([offer_rows, needs_rows], ignore_index=True)
    out["public"] = ENSEMBLE
    out["estime"] = False
    if answers is not None:
        by_place, public_needs = answers
        out = pd.concat([out, reponses_module.exit_indicators(places, sums, by_place),
                         reponses_module.public_indicators(table, places, sums, by_place,
                                                           public_needs)],
                        ignore_index=True)
    out = as_dictionary(out, ["code", "indicateur", "type_siae", "public"])
    out["niveau"] = pd.Categorical.from_codes(np.zeros(len(out), dtype=np.int8), [level])
    out["libelle"] = map_categories(out["code"], labels)
    out["unite"] = map_categories(out["indicateur"], {c: i.unite for c, i in BY_CODE.items()})
    out["valeur"] = out["valeur"].astype(float)
    out["estime"] = out["estime"].fillna(False).astype(bool)
    return out


