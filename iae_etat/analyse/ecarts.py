"""Écarts entre l'offre et les besoins, par territoire et par public, classés (pure).

Two measures, in figures (the French text below is printed in the report's annex):

* **ETP manquants** (public « ensemble », for each need: demandeurs d'emploi A, B, C and foyers
  allocataires du RSA) — les ETP conventionnés qu'il faudrait ajouter dans le territoire pour
  qu'il atteigne le taux d'équipement de son département :
  taux de référence = ETP conventionnés du département / besoin du département × 1 000 ;
  cible = besoin du territoire × taux de référence / 1 000 ;
  écart = cible − ETP conventionnés du territoire.
  Un territoire partagé entre plusieurs départements du projet prend le taux de leur ensemble ;
  le département lui-même n'a pas d'écart (il est sa propre référence).
* **Salariés manquants** (each public the needs describe: DELD et DETLD, moins de 26 ans, 50 ans
  et plus, travailleurs handicapés) — les salariés du public qu'il faudrait accueillir pour que
  leur part parmi les salariés en insertion égale leur part parmi les demandeurs d'emploi A, B, C
  du même territoire (département compris) :
  cible = salariés en insertion × part du public parmi les DE ABC / 100 ;
  écart = cible − salariés du public.

A positive gap is a shortfall, a negative one a surplus. ``rang`` ranks the positive published
gaps, largest first, within each diffusion, level, measure and need. Territories: every level
below the département, communes only when they have the need (for the publics: demandeurs
d'emploi A, B, C). Secrecy: the gaps are computed from the published ``out_indicateurs``, so in
the ``publique`` rows a gap built on a secret input is empty, ``s`` and not ranked; the
``restreinte`` rows keep every value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import LIBELLES_BESOINS, wide
from iae_etat.common.indicators import NEEDS
from iae_etat.common.vocabulary import ENSEMBLE, LEVELS, PUBLIC_LABELS, PUBLICS
from iae_etat.tables.contracts import columns
from iae_etat.territoires.levels import level_frame

ETP, SALARIES = "etp_manquants", "salaries_manquants"
LIBELLES_MESURES = {
    ETP: "ETP manquants pour atteindre le taux d'équipement du département",
    SALARIES: "Salariés manquants pour atteindre la part du public parmi les demandeurs "
              "d'emploi A, B, C"}
FORMULES = {
    ETP: "besoin du territoire × (ETP conventionnés du département / besoin du département) − "
         "ETP conventionnés du territoire",
    SALARIES: "salariés en insertion × part du public parmi les DE ABC / 100 − salariés du "
              "public"}
UNITES = {ETP: "ETP", SALARIES: "personnes"}
UNITES_TAUX = {ETP: "ETP pour 1 000", SALARIES: "%"}
LIBELLE_ENSEMBLE = "Ensemble des publics"
COLUMNS = columns("out_ecarts")
_KEY = ["diffusion", "niveau", "code"]
INPUTS = ("etp_conventionnes", *NEEDS, "salaries_annee", "salaries_public",
          "part_public_salaries", "part_public_de_abc")
TOLERANCE = 1e-9  # a gap this small is a rounding error, not a shortfall


def ecarts(published: pd.DataFrame, territoires: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``out_ecarts`` from ``out_indicateurs`` (both diffusions) and the territories."""
    wanted = published["indicateur"].isin(INPUTS) & (published["type_siae"] == ENSEMBLE)
    rows = published.loc[wanted, [*_KEY, "libelle", "indicateur", "public", "valeur", "statut"]]
    labels = rows.drop_duplicates(_KEY).set_index(_KEY)["libelle"]
    totals = wide(rows[rows["public"] == ENSEMBLE], _KEY)
    frames = [_etp_gaps(totals, need, territoires) for need in NEEDS
              if need in totals[0].columns and totals[0][need].notna().any()]
    described = [p for p, (_, needs) in PUBLICS.items() if needs]
    public_rows = rows[rows["public"].isin(described)
                       & (rows["indicateur"] == "part_public_de_abc")]
    if public_rows["valeur"].notna().any():  # only with questionnaires and needs by public
        by_public = wide(rows[rows["public"].isin(described)], [*_KEY, "public"])
        frames.append(_public_gaps(totals, by_public))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["libelle"] = pd.MultiIndex.from_frame(out[_KEY]).map(labels)
    out["libelle_mesure"] = out["mesure"].map(LIBELLES_MESURES)
    out["libelle_besoin"] = out["besoin"].map(LIBELLES_BESOINS)
    out["libelle_public"] = out["public"].map({**PUBLIC_LABELS, ENSEMBLE: LIBELLE_ENSEMBLE})
    out["unite"] = out["mesure"].map(UNITES)
    out["unite_taux"] = out["mesure"].map(UNITES_TAUX)
    out["statut"] = np.select([out["secret"], out["ecart"].isna()], ["s", "nd"], "publie")
    ranked = out["ecart"].where((out["statut"] == "publie") & (out["ecart"] > TOLERANCE))
    out["rang"] = ranked.groupby([out["diffusion"], out["niveau"], out["mesure"],
                                  out["besoin"]]).rank(ascending=False, method="min") \
        .astype("Int64")
    out = out.sort_values(["diffusion", "niveau", "mesure", "besoin", "public", "code"])
    return out.reset_index(drop=True)[COLUMNS]


def _has_need(values: pd.Series, statut: pd.Series) -> np.ndarray:
    """Communes are kept only with a need (a secret one is positive); other levels always."""
    commune = values.index.get_level_values("niveau") == "commune"
    return ~commune | (values > 0).to_numpy() | (statut == "s").to_numpy()


def _departements(territoires: pd.DataFrame) -> pd.DataFrame:
    """``niveau, code, code_departement``: the départements of each territory below them."""
    deps = territoires[["code_commune", "code_departement"]]
    frames = []
    for level in LEVELS[:-1]:
        table = level_frame(territoires, level)
        if table is not None:
            link = table.merge(deps, on="code_commune")[["code", "code_departement"]]
            frames.append(link.drop_duplicates().assign(niveau=level))
    return pd.concat(frames, ignore_index=True)


def _etp_gaps(totals: tuple[pd.DataFrame, pd.DataFrame], need: str,
              territoires: pd.DataFrame) -> pd.DataFrame:
    """ETP manquants for ``need`` in every territory below the département."""
    values, statut = totals
    secret = (statut[[need, "etp_conventionnes"]] == "s").any(axis=1)
    dep = pd.DataFrame({"need": values[need], "etp": values["etp_conventionnes"],
                        "secret": secret}).xs("departement", level="niveau")
    dep.index = dep.index.set_names(["diffusion", "code_departement"])
    links = _departements(territoires)
    diffusions = values.index.get_level_values("diffusion").unique()
    links = pd.concat([links.assign(diffusion=d) for d in diffusions], ignore_index=True)
    links = links.join(dep, on=["diffusion", "code_departement"])
    grouped = links.groupby(_KEY)
    reference = grouped[["need", "etp"]].sum(min_count=1)
    # a département without the figure leaves its territories without a reference
    unknown = links[["need", "etp"]].isna().groupby([links[k] for k in _KEY]).any()
    reference = reference.where(~unknown)
    reference["secret"] = grouped["secret"].any()
    local = values.index.get_level_values("niveau") != "departement"
    keep = local & _has_need(values[need], statut[need])
    out = pd.DataFrame({"assiette": values[need], "offre": values["etp_conventionnes"],
                        "secret": secret})[keep]
    ref = reference.reindex(out.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["taux_reference"] = ref["etp"] / ref["need"].where(ref["need"] > 0) * 1000
        out["taux_territoire"] = out["offre"] / out["assiette"].where(out["assiette"] > 0) \
            * 1000
    out["secret"] = out["secret"] | ref["secret"].fillna(False).astype(bool)
    out["cible"] = out["assiette"] * out["taux_reference"] / 1000
    out["ecart"] = out["cible"] - out["offre"]
    return out.reset_index().assign(mesure=ETP, public=ENSEMBLE, besoin=need)


def _public_gaps(totals: tuple[pd.DataFrame, pd.DataFrame],
                 by_public: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    """Salariés manquants of each described public in every territory."""
    values, statut = by_public
    total_values = totals[0].reindex(columns=["salaries_annee", "de_abc"])
    total_statut = totals[1].reindex(columns=["salaries_annee", "de_abc"])
    index = values.index.droplevel("public")
    salaries = total_values["salaries_annee"].reindex(index).to_numpy()
    secret = (statut.reindex(columns=["salaries_public", "part_public_de_abc"]) == "s") \
        .any(axis=1).to_numpy() | (total_statut["salaries_annee"].reindex(index) == "s") \
        .to_numpy()
    out = pd.DataFrame({"assiette": salaries,
                        "offre": values.reindex(columns=["salaries_public"]).iloc[:, 0],
                        "taux_territoire": values.reindex(
                            columns=["part_public_salaries"]).iloc[:, 0],
                        "taux_reference": values["part_public_de_abc"], "secret": secret},
                       index=values.index)
    keep = _has_need(total_values["de_abc"].reindex(index),
                     total_statut["de_abc"].reindex(index))
    out = out[keep]
    out["cible"] = out["assiette"] * out["taux_reference"] / 100
    out["ecart"] = out["cible"] - out["offre"]
    return out.reset_index().assign(mesure=SALARIES, besoin="de_abc")
