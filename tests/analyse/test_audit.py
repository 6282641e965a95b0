"""The linear-programming audit of statistical secrecy and the coordinated suppression."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from iae_etat.analyse import audit, coordination, modele, systemes
from iae_etat.analyse.computed import COMPUTED
from iae_etat.analyse.secret import REPONSES, apply_secret
from iae_etat.analyse.stage import DERIVED, SOMMES, structure_indicators
from iae_etat.common.indicators import CATALOGUE

KEY = ["niveau", "code", "indicateur", "type_siae", "public"]
PROTECTION = audit.Protection(effectifs=3, montants=0.1)


def _territoires(epci: list[str], clpe: list[str] | None = None) -> pd.DataFrame:
    communes = [chr(ord("A") + i) for i in range(len(epci))]
    frame = pd.DataFrame({"code_commune": communes, "nom_commune": communes,
                          "code_epci": epci, "nom_epci": epci,
                          "code_departement": "D", "nom_departement": "Dép"})
    if clpe is not None:
        frame = frame.assign(code_clpe=clpe, nom_clpe=clpe)
    return frame


def _table(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    """A de_abc table (niveau, code) → value."""
    return pd.DataFrame({"niveau": [k[0] for k in values], "code": [k[1] for k in values],
                         "libelle": [k[1] for k in values], "indicateur": "de_abc",
                         "unite": "personnes", "type_siae": "ensemble", "public": "ensemble",
                         "valeur": list(values.values()), "methode": "sans objet"})


def _verdicts(table: pd.DataFrame, territoires: pd.DataFrame, hidden: set[tuple[str, str]],
              primary: set[tuple[str, str]]) -> dict[tuple[str, str], audit.Resultat]:
    """Exact minimum and maximum of every hidden cell of ``table``."""
    where = list(zip(table["niveau"], table["code"], strict=True))
    secret = np.array([w in hidden for w in where])
    cells = audit.Cellules(table["valeur"].to_numpy(float), secret, ~secret,
                           np.array([w in primary for w in where]), np.ones(len(table), bool))
    results = audit.audit(modele.blocks(table, territoires), cells, PROTECTION, exact=True)
    return {where[r.pos]: r for r in results}


def test_a_cell_alone_in_its_sum_is_found_exactly():
    # A = 4 hidden, B = 20 and E = A + B = 24 published: A = 24 − 20.
    table = _table({("commune", "A"): 4, ("commune", "B"): 20, ("epci", "E"): 24})
    found = _verdicts(table, _territoires(["E", "E"]), {("commune", "A")}, set())
    assert (found[("commune", "A")].bas, found[("commune", "A")].haut) == (4, 4)
    assert found[("commune", "A")].raison == audit.DIVULGUEE


def test_two_hidden_cells_keep_their_interval_from_zero_to_the_total():
    # A = 4 and B = 20 hidden, E = 24: each lies in [0, 24]; A's protection (3) needs 1 and 7.
    table = _table({("commune", "A"): 4, ("commune", "B"): 20, ("epci", "E"): 24})
    found = _verdicts(table, _territoires(["E", "E"]), {("commune", "A"), ("commune", "B")},
                      {("commune", "A")})
    assert (found[("commune", "A")].bas, found[("commune", "A")].haut) == (0, 24)
    assert all(r.ok for r in found.values())


def test_an_unbounded_cell_is_not_disclosed_even_when_its_value_is_not_whole():
    # A = 4.5 (a count shared out by residence) hidden, no total published over it: A lies in
    # [0, +inf), which is no single value, whether the count is whole or not.
    table = _table({("commune", "A"): 4.5, ("commune", "B"): 20})
    found = _verdicts(table, _territoires(["E", "E"]), {("commune", "A")}, set())
    assert (found[("commune", "A")].bas, found[("commune", "A")].haut) == (0, np.inf)
    assert found[("commune", "A")].ok and found[("commune", "A")].raison == ""


def test_a_primary_cell_narrowed_inside_its_protection_interval_fails():
    # A = 4, B = 1 hidden, E = 5: A lies in [0, 5], short of 4 + 3 = 7.
    table = _table({("commune", "A"): 4, ("commune", "B"): 1, ("epci", "E"): 5})
    found = _verdicts(table, _territoires(["E", "E"]), {("commune", "A"), ("commune", "B")},
                      {("commune", "A")})
    assert found[("commune", "A")].haut == 5 and found[("commune", "A")].raison == \
        audit.PROTECTION


def test_the_coordination_s_audit_hides_what_binds_a_failing_cell_and_then_it_holds():
    # A = 4, B = 1 hidden, E = 5 published: A lies in [0, 5], short of 7. Hiding E in A's own
    # programs frees it; the verdict holds for the pattern that hides E too.
    table = _table({("commune", "A"): 4, ("commune", "B"): 1, ("epci", "E"): 5})
    hidden = np.array([True, True, False])
    cells = audit.Cellules(table["valeur"].to_numpy(float), hidden, ~hidden,
                           np.array([True, False, False]), np.ones(3, bool))
    (block,) = modele.blocks(table, _territoires(["E", "E"]))
    plain = audit.audit_block(block, cells, PROTECTION, first_failure=True)
    assert not plain[0].ok and plain[0].liants == (2,) and plain[0].masquees == ()
    driven = audit.audit_block(block, cells, PROTECTION, first_failure=True,
                               hide=np.ones(3, bool))
    assert driven[0].ok and driven[0].masquees == (2,) and driven[0].haut == np.inf
    found = _verdicts(table, _territoires(["E", "E"]), {("commune", "A"), ("commune", "B"),
                                                        ("epci", "E")}, {("commune", "A")})
    assert all(r.ok for r in found.values())


def test_the_audit_hides_the_smallest_positive_binding_cell_the_spared_ones_last():
    values = np.array([0.0, 7.0, 3.0, 2.0, 3.0])
    first = np.array([True, True, True, False, True])  # position 3: a total to spare
    assert audit.least_lost([1, 2, 3, 4], values, first) == 1  # position 2: 3, the first of two
    assert audit.least_lost([0, 1], values, first) == 1  # a zero last
    assert audit.least_lost([3, 1], values, first) == 1  # the spared 2 after 7
    assert audit.least_lost([3, 0], values, np.zeros(5, bool)) == 0  # none marked: smallest


def test_the_audit_can_be_asked_for_some_cells_only():
    # A = 4, B = 20 hidden, E = 24: asked for A only, the audit answers for A alone.
    table = _table({("commune", "A"): 4, ("commune", "B"): 20, ("epci", "E"): 24})
    hidden = np.array([True, True, False])
    cells = audit.Cellules(table["valeur"].to_numpy(float), hidden, ~hidden,
                           np.zeros(3, bool), np.ones(3, bool))
    (block,) = modele.blocks(table, _territoires(["E", "E"]))
    only = np.array([True, False, False])
    assert [r.pos for r in audit.audit_block(block, cells, PROTECTION, only=only)] == [0]
    assert [r.pos for r in audit.audit_block(block, cells, PROTECTION)] == [0, 1]


def test_another_grid_made_of_the_same_communes_gives_the_cell_back():
    # EPCI E1 = {A, B} hidden, but CLPE L1 has the same communes and publishes 30.
    territoires = _territoires(["E1", "E1", "E2"], ["L1", "L1", "L2"])
    table = _table({("epci", "E1"): 30, ("epci", "E2"): 50, ("clpe", "L1"): 30,
                    ("clpe", "L2"): 50, ("departement", "D"): 80})
    found = _verdicts(table, territoires, {("epci", "E1"), ("epci", "E2")}, set())
    assert found[("epci", "E1")].raison == audit.DIVULGUEE


def test_grids_that_do_not_nest_give_a_cell_back_through_their_communes():
    # EPCI E1 = {A, B}, E2 = {C}; CLPE L1 = {A}, L2 = {B, C}. Hidden: the communes and E1.
    # L1 = A = 5, D − E2 = E1 = 25 − 15 = 10: B = E1 − A = 5, C = 15 − 0… all fixed.
    territoires = _territoires(["E1", "E1", "E2"], ["L1", "L2", "L2"])
    table = _table({("commune", "A"): 5, ("commune", "B"): 5, ("commune", "C"): 15,
                    ("epci", "E1"): 10, ("epci", "E2"): 15, ("clpe", "L1"): 5,
                    ("clpe", "L2"): 20, ("departement", "D"): 25})
    hidden = {("commune", "A"), ("commune", "B"), ("commune", "C"), ("epci", "E1")}
    found = _verdicts(table, territoires, hidden, set())
    assert {k for k, r in found.items() if r.raison == audit.DIVULGUEE} == hidden


def _needs(values: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    """Needs (niveau, code, indicateur) → value."""
    return pd.DataFrame({"niveau": [k[0] for k in values], "code": [k[1] for k in values],
                         "indicateur": [k[2] for k in values], "type_siae": "ensemble",
                         "public": "ensemble", "valeur": list(values.values()),
                         "methode": "sans objet"})


def test_the_sources_own_figure_of_a_territory_is_its_communes_plus_a_remainder():
    # The source publishes 30 DE for D, its communes show A = 10 and B = 15: 5 non ventilés.
    # A hidden: with the remainder published, A = 30 − 5 − 15 = 10; without it, A is free.
    values = {("commune", "A", "de_abc"): 10, ("commune", "B", "de_abc"): 15,
              ("departement", "D", "de_abc"): 30, ("departement", "D", "de_abc_non_ventile"): 5}
    territoires = _territoires(["E", "E"])
    for published_rest, disclosed in ((True, True), (False, False)):
        table = _needs(values if published_rest else dict(list(values.items())[:3]))
        hidden = (table["code"] == "A").to_numpy()
        cells = audit.Cellules(table["valeur"].to_numpy(float), hidden, ~hidden,
                               np.zeros(len(table), bool), np.ones(len(table), bool))
        (result,) = audit.audit(modele.blocks(table, territoires), cells, PROTECTION,
                                exact=True)
        assert (result.raison == audit.DIVULGUEE) is disclosed
        assert (result.bas, result.haut) == ((10, 10) if disclosed else (0, np.inf))


def test_a_remainder_is_free_below_when_what_it_completes_is_hidden():
    # D = A + B + remainder (free in sign, 5, primary). With D hidden too, the remainder can be
    # as small or as large as one likes; with A hidden instead, D − B − A is at most 30 − 15
    # but as small as one likes. Read as « held at its value », it failed its protection with
    # nothing left to hide, and the national build stopped on it.
    values = {("commune", "A", "de_abc"): 10, ("commune", "B", "de_abc"): 15,
              ("departement", "D", "de_abc"): 30, ("departement", "D", "de_abc_non_ventile"): 5}
    table = _needs(values)
    rest = (table["indicateur"] == "de_abc_non_ventile").to_numpy()
    for other, high in (("D", np.inf), ("A", 15.0)):
        hidden = rest | ((table["code"] == other) & (table["indicateur"] == "de_abc")).to_numpy()
        cells = audit.Cellules(table["valeur"].to_numpy(float), hidden, ~hidden, rest,
                               np.ones(len(table), bool))
        for exact in (True, False):
            results = audit.audit(modele.blocks(table, _territoires(["E", "E"])), cells,
                                  PROTECTION, exact=exact)
            found = next(r for r in results if r.pos == 3)
            assert found.ok and found.bas == -np.inf
            assert found.haut == high or not exact  # without exact, a bound of the maximum


def test_a_published_remainder_holds_when_a_commune_value_was_dropped_at_reading():
    # The source gives 30 DE for D and 5 non ventilés; commune B's value was absurd (dropped:
    # unknown), so D's communes do not tell whether D has a remainder. D's equation keeps it:
    # D = A + B + (remainder published as 5), else E = A + B = 25 and D = A + B = 30 clash.
    values = {("commune", "A", "de_abc"): 25, ("commune", "B", "de_abc"): np.nan,
              ("epci", "E", "de_abc"): 25,
              ("departement", "D", "de_abc"): 30, ("departement", "D", "de_abc_non_ventile"): 5}
    table = _needs(values)
    (block,) = modele.blocks(table, _territoires(["E", "E"]))
    row = list(block.cells).index(int(np.flatnonzero(
        (table["niveau"] == "departement") & (table["indicateur"] == "de_abc"))[0]))
    assert block.matrix[row].nnz == 4  # A, B and the remainder (two signs)


def test_a_published_zero_with_a_remainder_does_not_zero_its_communes():
    # D = A + B + r⁺ − r⁻ = 0 (the source's figure) while A = 5 is published: the zero of D
    # does not make A zero (its remainder may offset it). Read as « every part of a zero is
    # zero », the system had no solution and the national build stopped on it.
    published = sparse.csr_matrix(np.array([[1.0, 1.0, 1.0, -1.0], [1.0, 0.0, 0.0, 0.0]]))
    links = sparse.csr_matrix((0, 4))
    fixed, a_eq, b_eq, _, _ = systemes.reduce_system(published, links, np.array([0.0, 5.0]))
    assert fixed[0] == 5
    assert np.isnan(fixed[1:]).all() and a_eq.shape == (1, 3) and b_eq[0] == -5
    zero = systemes.reduce_system(sparse.csr_matrix(np.array([[1.0, 1.0, 0.0, 0.0]])), links,
                               np.array([0.0]))[0]
    assert (zero[:2] == 0).all()  # without a remainder, a zero sum still zeroes its parts


def _amounts(values: dict[str, float]) -> pd.DataFrame:
    """Amounts of commune A (EPCI E), one row per indicator."""
    return pd.DataFrame({"niveau": "commune", "code": "A", "indicateur": list(values),
                         "type_siae": "ensemble", "public": "ensemble",
                         "valeur": list(values.values()), "methode": "implantation"})


def test_a_part_pinned_by_its_total_and_the_other_parts_names_them_to_hide():
    # total = p1 + p2 in every base cell: total = 10 and p1 = 10 published, p2 hidden:
    # p2 = 10 − 10 = 0 without a program; the published cells to free are total and p1.
    table = _amounts({"total": 10.0, "p1": 10.0, "p2": 0.0})
    secret = np.array([False, False, True])
    cells = audit.Cellules(table["valeur"].to_numpy(float), secret, ~secret,
                           np.zeros(3, bool), np.zeros(3, bool))
    blocks = modele.blocks(table, _territoires(["E"]), {"total": ("p1", "p2")})
    (result,) = audit.audit(blocks, cells, PROTECTION)
    assert (result.bas, result.haut, result.raison) == (0, 0, audit.DIVULGUEE)
    assert sorted(result.liants) == [0, 1]


def test_a_primary_amount_of_zero_with_no_published_bound_is_not_disclosed():
    # total = p1 + p2, all hidden and nothing published: each lies in [0, +inf). Zero amounts
    # that are primary (1 or 2 SIAE) have a protection interval [0, 0] that holds at once,
    # yet the audit must still look for their maximum before calling them disclosed.
    table = _amounts({"total": 0.0, "p1": 0.0, "p2": 0.0})
    hidden = np.ones(3, bool)
    cells = audit.Cellules(table["valeur"].to_numpy(float), hidden, ~hidden, hidden,
                           np.zeros(3, bool))
    blocks = modele.blocks(table, _territoires(["E"]), {"total": ("p1", "p2")})
    exact = audit.audit(blocks, cells, PROTECTION, exact=True)
    assert [(r.bas, r.haut, r.ok) for r in exact] == [(0, np.inf, True)] * 3
    # the build's audit stops once each interval is shown wider than one value
    fast = audit.audit(blocks, cells, PROTECTION)
    assert all(r.ok and r.bas == 0 and r.haut > 0 for r in fast)


def _published(table: pd.DataFrame, territoires: pd.DataFrame, coordination: bool = True):
    rapport: dict = {}
    out = apply_secret(table, territoires, 11, {"de_abc"}, {}, protection=PROTECTION,
                       coordination=coordination, rapport=rapport)
    return out, rapport


def test_the_audit_fails_when_the_coordination_is_off_and_passes_when_it_drives():
    # EPCI E1 = {A, B} = 8 (primary), E2 = {C, E} = 40; CLPE L1 = {C, E} = 40, L2 = {A} = 3
    # and L3 = {B} = 5 (primary). The hierarchies hide E2 beside E1 in D = E1 + E2, but the
    # CLPE L1 has E2's communes: E1 = D − L1 = 48 − 40. Coordination off, the audit says so.
    territoires = _territoires(["E1", "E1", "E2", "E2"], ["L2", "L3", "L1", "L1"])
    table = _table({("epci", "E1"): 8, ("epci", "E2"): 40, ("clpe", "L1"): 40,
                    ("clpe", "L2"): 3, ("clpe", "L3"): 5, ("departement", "D"): 48})
    off_table, off = _published(table, territoires, coordination=False)
    assert off["audit"]["reussi"] is False
    failed = off["echecs"]
    assert ("epci", "E1") in set(zip(failed["niveau"], failed["code"], strict=True))
    out, on = _published(table, territoires)
    assert on["audit"]["reussi"] is True and on["audit"]["tours"] >= 0
    public = out[out["diffusion"] == "publique"].set_index(["niveau", "code"])
    assert public.loc[("epci", "E1"), "statut"] == "s"
    assert public.loc[("clpe", "L1"), "statut"] == "s" or public.loc[("departement", "D"),
                                                                      "statut"] == "s"


def test_a_kind_with_one_or_two_respondents_publishes_no_figure_of_theirs():
    # EI: 2 SIAE, 1 respondent (85 salariés); ACI: 3 respondents (60). The EI cells are
    # hidden, so is a second cell of the sum ensemble = EI + ACI.
    territoires = _territoires(["E"])
    rows = []
    for kind, nb, rate, salaries in (("EI", 2, 50.0, 85), ("ACI", 3, 100.0, 60),
                                     ("ensemble", 5, 80.0, 145)):
        for indicator, value in (("nb_siae", nb), ("taux_reponse", rate),
                                 ("salaries_annee", salaries)):
            for level, code in (("epci", "E"), ("departement", "D")):
                rows.append({"niveau": level, "code": code, "libelle": code,
                             "indicateur": indicator, "unite": "u", "type_siae": kind,
                             "public": "ensemble", "valeur": float(value),
                             "methode": "implantation"})
    table = pd.DataFrame(rows)
    rapport: dict = {}
    out = apply_secret(table, territoires, 11, {"salaries_annee"}, {},
                       structures={"salaries_annee": "reponses", "taux_reponse": "reponses"},
                       protection=PROTECTION, rapport=rapport)
    public = out[out["diffusion"] == "publique"]
    ei = public[(public["type_siae"] == "EI") & (public["indicateur"] != "nb_siae")]
    assert (ei["statut"] == "s").all() and ei["valeur"].isna().all()
    salaries = public[public["indicateur"] == "salaries_annee"]
    assert (salaries["statut"] == "s").sum() >= 4  # EI, and ACI or ensemble, at both levels
    assert rapport["audit"]["reussi"]


@st.composite
def _grids(draw):
    """Random communes in random EPCI, CLPE and zones d'emploi that need not nest."""
    n = draw(st.integers(3, 7))
    communes = [f"C{i}" for i in range(n)]
    pick = {name: [f"{name}{draw(st.integers(0, 2))}" for _ in communes]
            for name in ("E", "L", "Z")}
    territoires = pd.DataFrame({
        "code_commune": communes, "nom_commune": communes,
        "code_epci": pick["E"], "nom_epci": pick["E"], "code_clpe": pick["L"],
        "nom_clpe": pick["L"], "code_zone_emploi": pick["Z"], "nom_zone_emploi": pick["Z"],
        "code_departement": "D", "nom_departement": "Dép"})
    values = {c: float(draw(st.integers(0, 40))) for c in communes}
    return territoires, _table(_sums(territoires, values))


def _sums(territoires: pd.DataFrame, values: dict[str, float]) -> dict[tuple[str, str], float]:
    """The value of every territory: the sum of its communes' ``values``."""
    rows = {("commune", c): v for c, v in values.items()}
    for level, column in (("epci", "code_epci"), ("clpe", "code_clpe"),
                          ("zone_emploi", "code_zone_emploi"),
                          ("departement", "code_departement")):
        for code, group in territoires.groupby(column):
            rows[(level, code)] = sum(values[c] for c in group["code_commune"])
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grids(), st.sampled_from([coordination.ROUNDS_ONE_BY_ONE, 0]),
       st.sampled_from([audit.HIDDEN_PER_CELL, 0]))
def test_coordinated_secrecy_holds_on_random_grids_that_do_not_nest(grid, one_by_one, in_programs):
    # one_by_one 0: from the first round, every cell binding a failing one is hidden (the late
    # rounds); in_programs 0: the audit hides nothing in a failing cell's programs (rounds only)
    territoires, table = grid
    with mock.patch.object(coordination, "ROUNDS_ONE_BY_ONE", one_by_one), \
            mock.patch.object(audit, "HIDDEN_PER_CELL", in_programs):
        out, rapport = _published(table, territoires)
    assert rapport["audit"]["reussi"]
    public = out[out["diffusion"] == "publique"].reset_index(drop=True)
    hidden = set(zip(public.loc[public["statut"] == "s", "niveau"],
                     public.loc[public["statut"] == "s", "code"], strict=True))
    primary = {(n, c) for n, c, v in zip(table["niveau"], table["code"], table["valeur"],
                                         strict=True) if 0 < v < 11}
    assert primary <= hidden
    # the outsider's exact attack: no hidden cell found, no primary one inside ±3
    found = _verdicts(table, territoires, hidden, primary)
    assert all(r.ok for r in found.values())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grids(), st.lists(st.integers(0, 40), min_size=7, max_size=7))
def test_blocks_audited_side_by_side_hide_what_one_after_another_hides(grid, others):
    # a second indicator over the same communes: two blocks, audited in two processes or one
    territoires, counts = grid
    values = dict(zip(territoires["code_commune"], map(float, others), strict=False))
    table = pd.concat([counts, _table(_sums(territoires, values))
                       .assign(indicateur="salaries_annee")], ignore_index=True)
    patterns = []
    for workers in (1, 2):
        with mock.patch.object(coordination, "WORKERS", workers):
            out, rapport = _published(table, territoires)
        patterns.append((out["statut"].tolist(), rapport["audit"]))
    assert patterns[0] == patterns[1]


def _attack(table: pd.DataFrame, territoires: pd.DataFrame) -> pd.DataFrame:
    """The outsider's attack on every publique count and amount of ``table`` (all grids,
    kinds, publics, indicators); the primary cells are the counts of 1 to 10 people."""
    effectifs = {i.code for i in CATALOGUE if i.effectif}
    additive = effectifs | {i.code for i in CATALOGUE if i.montant}
    truth = table[(table["diffusion"] == "restreinte") & table["indicateur"].isin(effectifs)]
    small = truth[(truth["valeur"] > 0) & (truth["valeur"] < 11)]
    primary = pd.Series(True, index=pd.MultiIndex.from_frame(small[KEY].astype(str)))
    return audit.audit_secret(table, territoires, additive, SOMMES, primary,
                              audit.Protection(11.0, 0.10), effectifs)


@pytest.mark.slow
def test_an_outsider_recovers_no_secret_cell_of_the_demo(built_demo):
    """The attack of the issue on the built demo, by linear programs over every publique
    count and amount of ``out_indicateurs`` (the report, the dashboard and the annexe 4 print
    these rows): no secret cell given back exactly, no primary count (1 to 10 people) narrowed
    inside ± 11 people. Then the same attack on the same table where every secret but one
    primary commune count is published must give that one back: the attack can fail."""
    processed = built_demo / "data" / "processed" / "2025"
    table = pd.read_parquet(processed / "out_indicateurs.parquet")
    territoires = pd.read_parquet(processed / "core_territoires.parquet")
    public = table["diffusion"] == "publique"
    assert (table.loc[public, "statut"] == "s").sum() > 1000  # something to attack
    failures = _attack(table, territoires)
    assert failures.empty, failures.head(20).to_string()
    # a published ratio would add an equation between hidden cells: none has a secret input
    rows = table[public].astype({"statut": str})
    hidden = rows[rows["statut"] == "s"].set_index(["niveau", "code", "type_siae", "public",
                                                    "indicateur"]).index
    derived = DERIVED | {c.code: c.inputs for c in COMPUTED.values()}
    for ratio, inputs in derived.items():
        shown = rows[(rows["indicateur"] == ratio) & (rows["statut"] == "publie")]
        for source in inputs:
            keys = pd.MultiIndex.from_frame(shown[["niveau", "code", "type_siae", "public"]]
                                            .assign(indicateur=source))
            assert not keys.isin(hidden).any(), (ratio, source)

    truth = table[~public].set_index(KEY)["valeur"]
    rows = table[public & (table["niveau"] == "commune") & (table["indicateur"] == "de_abc")]
    values = truth.reindex(pd.MultiIndex.from_frame(rows[KEY])).to_numpy()
    target = rows.index[(values > 0) & (values < 11)][0]
    opened = table.copy()
    opened["statut"] = opened["statut"].astype(str)
    opened.loc[public & (opened["statut"] == "s"), "statut"] = "publie"
    opened.loc[target, "statut"] = "s"
    found = _attack(opened, territoires)
    assert found[KEY].astype(str).values.tolist() == [table.loc[target, KEY].astype(str)
                                                      .tolist()]
    assert found["raison"].tolist() == [audit.DIVULGUEE]


@pytest.mark.slow
def test_a_kind_with_one_or_two_respondents_of_the_demo_publishes_no_figure_of_theirs(
        built_demo):
    """Every publique cell of an indicator drawn from the questionnaires, where 1 or 2 SIAE
    of the territory and kind answered, is secret (counted here from ``core_structures``)."""
    processed = built_demo / "data" / "processed" / "2025"
    table = pd.read_parquet(processed / "out_indicateurs.parquet")
    structures = pd.read_parquet(processed / "core_structures.parquet")
    territoires = pd.read_parquet(processed / "core_territoires.parquet")
    answered = structures[structures["a_repondu"].astype(bool)]
    where = modele.membership(territoires).merge(
        answered[["code_commune", "type_siae"]].astype(str), on="code_commune")
    by_kind = where.groupby(["niveau", "code", "type_siae"]).size()
    every = where.groupby(["niveau", "code"]).size()
    every.index = pd.MultiIndex.from_tuples([(n, c, "ensemble") for n, c in every.index])
    respondents = pd.concat([by_kind, every])
    sources = structure_indicators()
    drawn = [code for code, source in sources.items() if source == REPONSES]
    assert drawn
    public = table[(table["diffusion"] == "publique") & table["indicateur"].isin(drawn)]
    count = respondents.reindex(pd.MultiIndex.from_frame(
        public[["niveau", "code", "type_siae"]].astype(str))).fillna(0).to_numpy()
    few = public[(count >= 1) & (count <= 2)]
    assert len(few) > 100  # the demo has such kinds
    assert (few["statut"] != "publie").all() and few["valeur"].isna().all()


def test_combination_in_compares_codes_or_joins_when_the_dtypes_differ():
    kinds = pd.CategoricalDtype(["ACI", "EI"])
    left = pd.DataFrame({"code": pd.Categorical(["26", "26", "07"], dtype=pd.CategoricalDtype(
        ["07", "26"])), "base": pd.Categorical(["ACI", "EI", "EI"], dtype=kinds)})
    right = pd.DataFrame({"code": pd.Categorical(["26", "07"], dtype=left["code"].dtype),
                          "base": pd.Categorical(["EI", "ACI"], dtype=kinds)})
    expected = [False, True, False]
    assert modele._combination_in(left, right, ["code", "base"]).tolist() == expected
    # categories of another order: the codes differ, the combinations do not
    other = right.assign(code=right["code"].astype(str).astype(
        pd.CategoricalDtype(["26", "07"])))
    assert modele._combination_in(left, other, ["code", "base"]).tolist() == expected


def test_a_program_over_some_components_gives_no_value_to_a_cell_of_others():
    # EPCI E1 = {A, B} and E2 = {C, D, E} published, E = 5 published, A to D and CLPE L1 =
    # {C, D} hidden: two systems (A + B = 10, C + D = 15). L1 = E2 − E = 15 exactly; the
    # program that maximises A says nothing of C and D (zero there is no table of E2).
    territoires = _territoires(["E1", "E1", "E2", "E2", "E2"], ["L2", "L2", "L1", "L1", "L2"])
    table = _table({("commune", "A"): 4, ("commune", "B"): 6, ("commune", "C"): 7,
                    ("commune", "D"): 8, ("commune", "E"): 5, ("epci", "E1"): 10,
                    ("epci", "E2"): 20, ("clpe", "L1"): 15, ("clpe", "L2"): 15})
    hidden = {("commune", "A"), ("commune", "B"), ("commune", "C"), ("commune", "D"),
              ("clpe", "L1")}
    found = _verdicts(table, territoires, hidden, set())
    assert (found[("clpe", "L1")].bas, found[("clpe", "L1")].haut) == (15, 15)
    assert found[("clpe", "L1")].raison == audit.DIVULGUEE
    assert {k for k, r in found.items() if r.raison} == {("clpe", "L1")}


def _linprog_interval(block: modele.Block, values: np.ndarray, secret: np.ndarray,
                      cell: int) -> tuple[float, float]:
    """The minimum and maximum of ``cell`` by scipy's ``linprog`` over the whole block at
    once: no reduction, no components, no warm start (the audit's answer, found another way)."""
    from scipy.optimize import linprog

    published = ~secret[block.cells]
    a_eq = sparse.vstack([block.matrix[published], block.links]).toarray()
    b_eq = np.concatenate([values[block.cells][published], np.zeros(block.links.shape[0])])
    row = block.matrix[int(np.flatnonzero(block.cells == cell)[0])].toarray().ravel()
    bounds = []
    for sense in (1.0, -1.0):
        found = linprog(sense * row, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        bounds.append(sense * found.fun if found.status == 0 else np.inf)
    return bounds[0], bounds[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grids(), st.data())
def test_the_audit_finds_the_intervals_linprog_finds_over_the_whole_system(grid, data):
    territoires, table = grid
    where = list(zip(table["niveau"], table["code"], strict=True))
    # mostly hidden, so that the département often is and the system falls into components
    secret = np.array(data.draw(st.lists(st.sampled_from([True, True, False]),
                                         min_size=len(where), max_size=len(where))))
    values = table["valeur"].to_numpy(float)
    cells = audit.Cellules(values, secret, ~secret, np.zeros(len(table), bool),
                           np.ones(len(table), bool))
    found = modele.blocks(table, territoires)
    results = {r.pos: r for r in audit.audit(found, cells, PROTECTION, exact=True)}
    assert set(results) == set(np.flatnonzero(secret))
    for block in found:
        for cell in block.cells[secret[block.cells]]:
            low, high = _linprog_interval(block, values, secret, cell)
            assert results[cell].bas == pytest.approx(low, abs=1e-6), where[cell]
            assert results[cell].haut == pytest.approx(high, abs=1e-6), where[cell]
