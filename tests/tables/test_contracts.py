"""Data contracts: every table has one, they load, and violations become French records."""

from __future__ import annotations

import pandas as pd
import pytest

from iae_etat.common.errors import ConfigError
from iae_etat.tables.contracts import (
    TYPES,
    all_contracts,
    conform,
    load_contract,
    table_schema,
    validate,
)
from tests.conftest import ROOT

WRITTEN_TABLES = ["core_anomalies", "core_besoins", "core_collecte", "core_reponses_lues",
                  "core_sources",
                  "core_structures", "core_territoires", "out_couverture", "out_evolution",
                  "out_indicateurs",
                  "raw_france_travail", "raw_questionnaires", "raw_questionnaires_residence",
                  "raw_structures"]


def test_every_written_table_has_a_contract_with_french_titles():
    names = {c.name for c in all_contracts()}
    assert set(WRITTEN_TABLES) <= names
    for contract in all_contracts():
        assert contract.title and contract.description
        for f in contract.fields:
            assert f.title and f.description, f"{contract.name}.{f.name}"
            assert f.type in TYPES


def test_out_indicateurs_has_the_fixed_columns():
    columns = load_contract("out_indicateurs").columns
    assert columns == ["niveau", "code", "libelle", "indicateur", "unite", "type_siae", "public",
                       "valeur", "statut", "diffusion", "methode"]  # DESIGN §8, then the method


def test_validation_reports_each_violation_in_french():
    contract = load_contract("core_structures")
    frame = conform(pd.DataFrame({
        "siret": ["12345678901234", "123", None], "type_siae": ["ACI", "GEIQ", "EI"],
        "denomination": ["A", "B", "C"], "code_commune": ["26362", "2A004", "26ABC"],
        "a_repondu": [True, False, True], "etp_conventionnes": [1.5, -2, None],
        "etp_realises": [1.0, 1.0, 1.0], "salaries_annee": [3, 4, 5]}), contract)
    problems = validate(frame, contract, "core_structures.parquet")
    rules = sorted((p.champ, p.regle) for p in problems)
    assert rules == [("code_commune", "contrat.str_matches"),
                     ("etp_conventionnes", "contrat.greater_than_or_equal_to"),
                     ("siret", "contrat.not_nullable"), ("siret", "contrat.str_matches"),
                     ("type_siae", "contrat.isin")]
    bad_siret = next(p for p in problems if p.regle == "contrat.str_matches" and p.champ == "siret")
    assert bad_siret.valeur == "123"
    assert "SIRET" in bad_siret.message and "ligne 2" in bad_siret.message


def test_a_categorical_column_is_reported_once_per_wrong_value_at_its_first_row():
    contract = load_contract("core_structures")
    frame = conform(pd.DataFrame({
        "siret": ["12345678901234"] * 5, "type_siae": ["ACI", "XX", "EI", "XX", None],
        "denomination": ["A", "B", "C", "D", "E"],
        "code_commune": ["26362", "26ABC", "2A004", "26ABC", "26362"],
        "a_repondu": [True] * 5, "etp_conventionnes": [1.0] * 5,
        "etp_realises": [1.0] * 5, "salaries_annee": [3] * 5}), contract)
    frame.index = frame.index + 10  # a row is reported by its label
    coded = frame.assign(**{c: frame[c].astype("category") for c in ("type_siae", "code_commune",
                                                                      "denomination")})
    # a wrong category that no row holds is no problem
    coded["type_siae"] = coded["type_siae"].cat.add_categories(["ZZ"])
    found = sorted((p.champ, p.regle, p.valeur, p.message)
                   for p in validate(coded, contract, "core_structures.parquet", True))
    assert [f[:3] for f in found] == [("code_commune", "contrat.str_matches", "26ABC"),
                                      ("type_siae", "contrat.isin", "XX"),
                                      ("type_siae", "contrat.not_nullable", "")]
    # rows labelled 10 to 14, reported from 1: the first « 26ABC » and « XX » are on label 11
    assert ["(ligne 12)" in found[0][3], "(ligne 12)" in found[1][3],
            "(ligne 15)" in found[2][3]] == [True, True, True]
    # the same values as plain text: every row is reported
    plain = validate(frame, contract, "core_structures.parquet", True)
    assert sorted({(p.champ, p.regle, p.valeur) for p in plain}) == [f[:3] for f in found]
    assert len(plain) == 5


def test_a_wrong_category_no_row_holds_is_no_problem_even_when_it_is_the_only_one():
    contract = load_contract("core_structures")
    frame = conform(pd.DataFrame({
        "siret": ["12345678901234"] * 2, "type_siae": ["ACI", "EI"], "denomination": ["A", "B"],
        "code_commune": ["26362", "2A004"], "a_repondu": [True] * 2,
        "etp_conventionnes": [1.0] * 2, "etp_realises": [1.0] * 2, "salaries_annee": [3] * 2}),
        contract)
    coded = frame.assign(type_siae=frame["type_siae"].astype("category")
                         .cat.add_categories(["ZZ"]))
    assert validate(coded, contract, "core_structures.parquet", True) == []
    coded.loc[1, "type_siae"] = "ZZ"
    assert [(p.champ, p.valeur) for p in validate(coded, contract, "core_structures.parquet",
                                                  True)] == [("type_siae", "ZZ")]


def test_missing_column_and_duplicate_key_are_reported():
    contract = load_contract("raw_structures")
    frame = conform(pd.DataFrame({"siret": ["12345678901234"] * 2, "type_siae": ["ACI", "ACI"],
                                  "denomination": ["A", "A"]}), contract)
    regles = {p.regle for p in validate(frame, contract, "x")}
    assert {"contrat.colonne_absente", "contrat.cle_dupliquee"} <= regles


def test_conform_keeps_codes_as_strings():
    contract = load_contract("core_territoires")
    frame = conform(pd.DataFrame({"code_commune": ["01001"], "nom_commune": ["X"],
                                  "code_departement": ["01"], "population": ["12"]}), contract)
    assert frame.at[0, "code_commune"] == "01001"
    assert str(frame["population"].dtype) == "Int64"


def test_table_schema_descriptor():
    descriptor = table_schema(load_contract("raw_structures"))
    assert descriptor["primaryKey"] == ["siret", "type_siae"]
    assert descriptor["fields"][0]["constraints"]["pattern"] == r"^\d{14}$"


def test_a_broken_contract_is_a_configuration_error(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "core_besoins.yaml").write_text(
        "name: core_besoins\ntitle: x\nfields:\n  - {name: a, type: texte}\n", "utf-8")
    with pytest.raises(ConfigError, match="type « texte » inconnu"):
        load_contract("core_besoins", tmp_path)


def test_project_override_wins_over_the_shipped_contract(tmp_path):
    (tmp_path / "schemas").mkdir()
    text = (ROOT / "schemas" / "core_besoins.yaml").read_text("utf-8")
    (tmp_path / "schemas" / "core_besoins.yaml").write_text(
        text.replace("title: Besoins par commune", "title: Besoins du projet"), "utf-8")
    assert load_contract("core_besoins", tmp_path).title == "Besoins du projet"
    assert load_contract("core_besoins").title == "Besoins par commune"


def test_the_problem_record_is_the_contract_of_core_anomalies():
    """``Probleme`` sits below the tables layer: its columns are checked against the contract
    rather than read from it."""
    from iae_etat.common.errors import Probleme
    from iae_etat.tables.contracts import columns

    assert list(Probleme.COLUMNS) == columns("core_anomalies")
