"""Bundled COG 2026 referential."""

from importlib import resources

import pandas as pd
import pytest

from iae_etat.territoires import referentiel

CODE_COLUMNS = {
    referentiel.communes: ["code_commune", "code_epci", "code_arrondissement",
                           "code_departement", "code_region", "codes_postaux"],
    referentiel.communes_anciennes: ["code_ancien", "code_commune"],
    referentiel.epci: ["code_epci"],
    referentiel.arrondissements: ["code_arrondissement", "code_departement"],
    referentiel.departements: ["code_departement", "code_region"],
    referentiel.regions: ["code_region"],
}


def _commune(code: str) -> pd.Series:
    frame = referentiel.communes()
    rows = frame[frame["code_commune"] == code]
    assert len(rows) == 1, code
    return rows.iloc[0]


@pytest.mark.parametrize("loader", list(CODE_COLUMNS))
def test_codes_are_strings(loader):
    frame = loader()
    for column in CODE_COLUMNS[loader]:
        assert not pd.api.types.is_numeric_dtype(frame[column]), column
        assert frame[column].dropna().map(type).eq(str).all(), column


def test_known_communes():
    assert _commune("2A004")["nom_commune"] == "Ajaccio"
    assert _commune("2A004")["code_departement"] == "2A"
    assert _commune("01001")["code_departement"] == "01"
    reunion = _commune("97411")
    assert reunion["nom_commune"] == "Saint-Denis"
    assert reunion["code_departement"] == "974"


def test_commune_count_is_plausible():
    frame = referentiel.communes()
    assert 34_800 <= len(frame) <= 35_000
    assert frame["code_commune"].is_unique
    assert frame["code_commune"].str.match(r"^(\d{5}|2[AB]\d{3})$").all()


def test_parent_codes_exist():
    communes = referentiel.communes()
    assert communes["code_departement"].isin(referentiel.departements()["code_departement"]).all()
    assert communes["code_region"].isin(referentiel.regions()["code_region"]).all()
    # Mayotte has no arrondissement.
    sans_arrondissement = communes["code_arrondissement"].isna()
    assert communes.loc[sans_arrondissement, "code_departement"].eq("976").all()
    assert communes.loc[~sans_arrondissement, "code_arrondissement"].isin(
        referentiel.arrondissements()["code_arrondissement"]).all()
    with_epci = communes["code_epci"].dropna()
    assert with_epci.isin(referentiel.epci()["code_epci"]).all()
    assert referentiel.communes_anciennes()["code_commune"].isin(communes["code_commune"]).all()


def test_territoires_drome():
    frame = referentiel.territoires(["26"])
    assert list(frame.columns) == referentiel.TERRITOIRE_COLUMNS
    assert 350 <= len(frame) <= 370
    assert frame["code_departement"].eq("26").all()
    assert frame["nom_departement"].eq("Drôme").all()
    assert frame["nom_epci"].notna().all()
    assert frame["code_commune"].is_monotonic_increasing


def test_territoires_unknown_departement():
    with pytest.raises(ValueError, match="99"):
        referentiel.territoires(["26", "99"])


def test_loaders_return_copies():
    first = referentiel.communes()
    first.loc[:, "nom_commune"] = "modifié"
    first["ajout"] = 1
    second = referentiel.communes()
    assert "ajout" not in second.columns
    assert second["nom_commune"].ne("modifié").all()
    departements = referentiel.departements()
    departements.iloc[0, 0] = "XX"
    assert referentiel.departements().iloc[0, 0] == "01"


def test_with_levels_joins_zone_emploi_and_clpe():
    base = referentiel.territoires(["26"])
    zones = pd.DataFrame({"code_commune": ["26001"], "code_zone_emploi": ["8401"],
                          "nom_zone_emploi": ["Zone A"]})
    clpe = pd.DataFrame({"code_commune": [26002], "code_clpe": ["C1"], "nom_clpe": ["CLPE 1"]})
    frame = referentiel.with_levels(base, zones_emploi=zones, clpe=clpe).set_index("code_commune")
    assert len(frame) == len(base)
    assert frame.loc["26001", "code_zone_emploi"] == "8401"
    assert frame.loc["26002", "nom_clpe"] == "CLPE 1"
    assert pd.isna(frame.loc["26003", "code_zone_emploi"])


def test_with_levels_rejects_duplicate_communes():
    zones = pd.DataFrame({"code_commune": ["26001", "26001"], "code_zone_emploi": ["1", "2"],
                          "nom_zone_emploi": ["A", "B"]})
    with pytest.raises(ValueError, match="26001"):
        referentiel.with_levels(referentiel.territoires(["26"]), zones_emploi=zones)


@pytest.mark.parametrize("name", ["communes.csv.gz", "communes_anciennes.csv.gz"])
def test_gzip_header_has_zero_mtime(name):
    header = (resources.files("iae_etat") / "data" / "referentiel" / name).read_bytes()[:10]
    assert header[:2] == b"\x1f\x8b"
    assert header[4:8] == b"\x00\x00\x00\x00"
