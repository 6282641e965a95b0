"""Normalisation of French codes."""

import math

import numpy as np
import pandas as pd
import pytest

from iae_etat.territoires import codes


@pytest.mark.parametrize(("value", "expected"), [
    (1001, "01001"),
    ("1001", "01001"),
    (1001.0, "01001"),
    ("1001.0", "01001"),
    (np.int64(1001), "01001"),
    (" 2a004 ", "2A004"),
    ("2B033", "2B033"),
    ("97411", "97411"),
    ('="01053"', "01053"),
    ('"="01053""', "01053"),
])
def test_normalise_commune(value, expected):
    assert codes.normalise_commune(value) == expected


@pytest.mark.parametrize("value", [
    "ABC", "123456", "", "   ", None, math.nan, np.nan, pd.NA, 1001.5, True, "2C004", "101",
    "٠١٠٠١",
])
def test_normalise_commune_rejects(value):
    assert codes.normalise_commune(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    (1, "01"), ("1", "01"), ("001", "01"), ("02A", "2A"), ("2b", "2B"), ("971", "971"),
    ("976", "976"), ("59L", "59"), ("59V", "59"), ("059", "59"), (95, "95"), (74.0, "74"),
])
def test_normalise_departement(value, expected):
    assert codes.normalise_departement(value) == expected


@pytest.mark.parametrize("value", [
    "20", "00", "0", "96", "975", "977", "988", "2C", "59X", "", None, math.nan, "0971",
])
def test_normalise_departement_rejects(value):
    assert codes.normalise_departement(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("73282932000074", "73282932000074"),
    ("732 829 320 00074", "73282932000074"),
    ("732.829.320.00074", "73282932000074"),
    (73282932000074, "73282932000074"),
    (73282932000074.0, "73282932000074"),
    (1234567800012, "01234567800012"),
    ("73282932000075", "73282932000075"),  # invalid checksum, still normalised
])
def test_normalise_siret(value, expected):
    assert codes.normalise_siret(value) == expected


@pytest.mark.parametrize("value", ["7328293200007", "732829320000745", "7328293200007A", "", None,
                                   math.nan])
def test_normalise_siret_rejects(value):
    assert codes.normalise_siret(value) is None


@pytest.mark.parametrize(("siret", "valid"), [
    ("73282932000074", True),
    ("73282932000075", False),
    ("35600000000048", True),  # La Poste head office, Luhn-valid
    ("35600000049837", True),  # La Poste establishment, digit sum multiple of 5
    ("35600000049838", False),
    ("not a siret", False),
])
def test_siret_is_valid(siret, valid):
    assert codes.siret_is_valid(siret) is valid


@pytest.mark.parametrize(("value", "expected"), [
    (51, "0051"), ("51", "0051"), ("0051", "0051"), ("8401", "8401"), (8401.0, "8401"),
])
def test_normalise_zone_emploi(value, expected):
    assert codes.normalise_zone_emploi(value) == expected


@pytest.mark.parametrize("value", ["12345", "ZE51", "", None])
def test_normalise_zone_emploi_rejects(value):
    assert codes.normalise_zone_emploi(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("200000172", "200000172"), (200000172, "200000172"), ("200 000 172", "200000172"),
])
def test_normalise_epci(value, expected):
    assert codes.normalise_epci(value) == expected


@pytest.mark.parametrize("value", ["20000017", "2000001721", "CC", None])
def test_normalise_epci_rejects(value):
    assert codes.normalise_epci(value) is None


def test_patterns():
    assert codes.COMMUNE_PATTERN.match("2A004")
    assert not codes.COMMUNE_PATTERN.match("2A0045")
    assert codes.DEPARTEMENT_PATTERN.match("974")
    assert not codes.DEPARTEMENT_PATTERN.match("20")


def test_series_variants_keep_index_and_mark_failures_missing():
    series = pd.Series([1001, "2a004", "ABC", None], index=[10, 11, 12, 13], name="commune")
    result = codes.normalise_commune_series(series)
    assert list(result.index) == [10, 11, 12, 13]
    assert result.name == "commune"
    assert result.iloc[:2].tolist() == ["01001", "2A004"]
    assert result.iloc[2:].isna().all()
    assert codes.normalise_departement_series(pd.Series(["001", "59L"])).tolist() == ["01", "59"]
    assert codes.normalise_siret_series(pd.Series([73282932000074])).tolist() == [
        "73282932000074"]
    assert codes.normalise_zone_emploi_series(pd.Series([51])).tolist() == ["0051"]
    assert codes.normalise_epci_series(pd.Series(["200000172"])).tolist() == ["200000172"]
