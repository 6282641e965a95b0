"""Statistical secrecy: the audit on hand-made tables and property-based tests on random ones."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iae_etat.analyse.audit import Protection
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED, SOMMES
from iae_etat.common.indicators import CATALOGUE
from iae_etat.common.vocabulary import TYPES_SIAE

EFFECTIFS = {"salaries_annee", "de_abc", "salaries_public", "de_public"}
MONTANTS = frozenset(i.code for i in CATALOGUE if i.montant)
KEY = ["niveau", "code", "indicateur", "type_siae", "public"]
# Communes A and B in EPCI E, département D.
TERRITOIRES = pd.DataFrame({
    "code_commune": ["A", "B"], "nom_commune": ["Alpha", "Bêta"],
    "code_epci": ["E", "E"], "nom_epci": ["CC", "CC"],
    "code_departement": ["D", "D"], "nom_departement": ["Dép", "Dép"]})


@st.composite
def _project(draw):
    """Random communes in random EPCI and arrondissements, SIAE and demandeurs d'emploi."""
    n = draw(st.integers(2, 6))
    communes = [f"C{i}" for i in range(n)]
    epci = [f"E{draw(st.integers(0, 2))}" for _ in communes]
    arrondissement = [f"R{draw(st.integers(0, 1))}" for _ in communes]
    territoires = pd.DataFrame({
        "code_commune": communes, "nom_commune": communes, "code_epci": epci,
        "nom_epci": epci, "code_arrondissement": arrondissement,
        "nom_arrondissement": arrondissement, "code_departement": "D",
        "nom_departement": "Dép"})
    siae = draw(st.lists(st.tuples(st.sampled_from(communes), st.sampled_from(TYPES_SIAE),
                                   st.integers(0, 40), st.booleans()), max_size=10))
    # each answer's BRSA and femmes among its salariés, sometimes left empty
    shares = [[draw(st.one_of(st.none(), st.integers(0, s[2]))) for _ in range(2)]
              for s in siae]
    structures = pd.DataFrame({
        "siret": [str(i) for i in range(len(siae))],
        "type_siae": pd.Series([s[1] for s in siae], dtype=object),
        "code_commune": pd.Series([s[0] for s in siae], dtype=object),
        "a_repondu": pd.Series([s[3] for s in siae], dtype=bool),
        "etp_conventionnes": pd.Series([s[2] / 2 if s[3] else None for s in siae],
                                       dtype="Float64"),
        "etp_realises": pd.Series([s[2] / 3 if s[3] else None for s in siae], dtype="Float64"),
        "salaries_annee": pd.Series([s[2] if s[3] else None for s in siae], dtype="Int64")})
    reponses = structures.loc[structures["a_repondu"], ["siret", "type_siae", "salaries_annee"]]
    answered = [share for share, s in zip(shares, siae, strict=True) if s[3]]
    reponses = reponses.assign(brsa=pd.Series([a[0] for a in answered], dtype="Int64").values,
                               femmes=pd.Series([a[1] for a in answered], dtype="Int64").values)
    # amounts: aide au poste, Département and chiffre d'affaires of each answer
    money = [[draw(st.integers(0, 200)) * 1000 for _ in range(3)] for _ in answered]
    reponses = reponses.assign(**{name: pd.Series([m[i] for m in money], dtype="Float64").values
                                  for i, name in enumerate(
                                      ("aide_au_poste", "subvention_departement",
                                       "chiffre_affaires"))})
    de_abc = [draw(st.one_of(st.none(), st.integers(0, 60))) for _ in communes]
    de_50_plus = [None if d is None else draw(st.integers(0, d)) for d in de_abc]
    besoins = pd.DataFrame({"code_commune": communes,
                            "de_abc": pd.Series(de_abc, dtype="Float64"),
                            "de_50_plus": pd.Series(de_50_plus, dtype="Float64")})
    return territoires, structures, reponses, besoins, draw(st.integers(2, 11))


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_project())
def test_secret_holds_on_random_tables(project):
    territoires, structures, reponses, besoins, seuil = project
    raw = indicators(territoires, structures, besoins, reponses=reponses)
    rapport: dict = {}
    published = apply_secret(raw, territoires, seuil, EFFECTIFS, DERIVED, MONTANTS, 0.85,
                             SOMMES, protection=Protection(seuil, 0.1), rapport=rapport)
    assert rapport["audit"]["reussi"]
    public = published[published["diffusion"] == "publique"]
    counts = public.loc[public["indicateur"].isin(EFFECTIFS), "valeur"]
    assert not ((counts > 0) & (counts < seuil)).any()
    # no published amount is dominated by one SIAE
    top = raw.set_index(KEY)["contribution_max"]
    amounts = public[public["indicateur"].isin(MONTANTS) & (public["statut"] == "publie")
                     & (public["valeur"] > 0)]
    share = top.reindex(pd.MultiIndex.from_frame(amounts[KEY])).to_numpy() \
        / amounts["valeur"].to_numpy()
    assert not (share > 0.85).any()
    # every ratio built on a secret count (of its public, or the total of its cell) is secret
    hidden = public[public["statut"] == "s"]
    cell = ["niveau", "code", "type_siae", "public"]
    for ratio, components in DERIVED.items():
        sources = hidden[hidden["indicateur"].isin(components)]
        ratios = public[public["indicateur"] == ratio]
        same = ratios.merge(sources[cell].drop_duplicates())
        totals = sources.loc[sources["public"] == "ensemble", cell[:-1]].drop_duplicates()
        of_total = ratios.merge(totals)
        assert (same["statut"] == "s").all() and (of_total["statut"] == "s").all()
