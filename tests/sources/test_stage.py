"""Public sources: real files of ../shared, COG harmonisation, needs per commune and level."""

from __future__ import annotations

import pandas as pd
import pytest

from iae_etat.sources import adapters, besoins, cog, readers, structures, values
from iae_etat.territoires import referentiel

# Collectivités d'outre-mer (Saint-Barthélemy 97133, Saint-Martin 97150, Saint-Pierre-et-Miquelon
# 975xx): not communes of the referential (France métropolitaine and DROM), rightly unmatched.
COLLECTIVITES_OUTRE_MER = ("97133", "97150", "975")


def test_asp_list_2019_matches_98_percent_per_departement(shared_public):
    adapter = adapters.load_adapter("structures")
    liste, problems = readers.read_source(adapter, shared_public / "siae_asp_2019_07.csv", 2019,
                                           "siae_asp_2019_07.csv")
    # Saint-Pierre-et-Miquelon's « 975 » is no département: reported, row kept without one
    assert {p.valeur for p in problems} == {"975"}
    liste = liste[~liste["code_postal"].str.startswith(COLLECTIVITES_OUTRE_MER)]
    renamed = adapter.options["noms_anciens"]
    index = structures.commune_index(referentiel.communes(), referentiel.communes_anciennes(),
                                     {str(k): v for k, v in renamed.items()})
    placed, unmatched = structures.match_communes(liste, index)
    assert len(unmatched) == placed["code_commune"].isna().sum()
    rates = placed["code_commune"].notna().groupby(placed["code_departement"]).mean()
    assert len(rates) >= 100
    assert rates.min() >= 0.98, rates[rates < 0.98].to_dict()
    found = placed.dropna(subset=["code_commune"])
    # a matched commune lies in the département of its postal code (Corse: 20 → 2A, 2B)
    prefix = found["code_postal"].str[:2].replace("20", "2")
    inside = [c.startswith(p) for c, p in zip(found["code_commune"], prefix, strict=True)]
    assert sum(inside) / len(inside) > 0.995


@pytest.mark.parametrize(("name", "filename", "code", "pattern"), [
    ("insee_zones_emploi", "zones_emploi_2020_communes.csv", "code_zone_emploi", r"^\d{4}$"),
    ("clpe", "clpe_communes.csv", "code_clpe", r"^CLPE\w+$"),
])
def test_level_tables_cover_every_commune_with_valid_codes(shared_public, name, filename,
                                                          code, pattern):
    frame, problems = readers.read_source(adapters.load_adapter(name),
                                           shared_public / filename, 2025, filename)
    assert not problems
    communes = referentiel.communes()
    mapping = cog.code_map(communes, referentiel.communes_anciennes())
    recoded, _ = cog.recode(frame, mapping, (), name)
    table = recoded.drop_duplicates("code_commune").set_index("code_commune")
    missing = set(communes["code_commune"]) - set(table.index)
    assert not missing, sorted(missing)[:10]
    assert table.loc[communes["code_commune"], code].str.match(pattern).all()
    assert table.loc[communes["code_commune"], code.replace("code_", "nom_")].notna().all()


def test_cog_sums_merged_communes_and_reports_unknown_codes():
    communes = pd.DataFrame({"code_commune": ["26001", "26002"]})
    anciennes = pd.DataFrame({"code_ancien": ["26900", "26901"],
                              "code_commune": ["26001", "26002"]})
    mapping = cog.code_map(communes, anciennes)
    data = pd.DataFrame({"code_commune": ["26001", "26900", "26002", "26901", "26999", "75056"],
                         "foyers_rsa": [10.0, 5.0, 20.0, None, 5.0, 100.0],
                         "fichier_source": "caf.csv", "ligne_source": range(2, 8)})
    summed, problems = cog.harmonise_sum(data, mapping, ("26",), "CAF", ["foyers_rsa"])
    values = summed.set_index("code_commune")["foyers_rsa"]
    assert values["26001"] == 15.0
    assert pd.isna(values["26002"])  # a masked part: the sum is unknown, not 20
    assert [(p.regle, p.valeur, p.cellule) for p in problems] == [
        ("cog.commune_inconnue", "26999", "ligne 6")]  # 75056 is outside the project


def test_qpv_cells_with_several_communes_and_excel_wrapping():
    qpv = pd.DataFrame({"code_qp": ["QN02601M", "QN02602M"],
                        "communes": ['="26362"', "26362;26281"]})
    links = besoins.qpv_communes(qpv)
    assert links.values.tolist() == [["QN02601M", "26362"], ["QN02602M", "26362"],
                                     ["QN02602M", "26281"]]


def test_needs_of_a_level_sum_communes_unless_the_source_gives_the_level():
    territoires = pd.DataFrame({"code_commune": ["26001", "26002", "26003"],
                                "nom_commune": ["A", "B", "C"],
                                "code_epci": ["E1", "E1", "E2"], "nom_epci": ["e1", "e1", "e2"],
                                "code_departement": ["26"] * 3, "nom_departement": ["Drôme"] * 3})
    communes = besoins.besoins_communes(territoires, [
        pd.DataFrame({"code_commune": ["26001", "26002"], "foyers_rsa": [10.0, 5.0],
                      "de_abc": [100.0, None]}),
        pd.DataFrame({"code_commune": ["26002"], "communes_frr": [1.0]})], ["communes_frr"])
    assert communes["communes_frr"].tolist() == [0.0, 1.0, 0.0]
    assert pd.isna(communes.at[2, "foyers_rsa"])  # not in the source: missing, not zero
    levels = besoins.besoins_niveaux(territoires, communes, {
        "departement": pd.DataFrame({"code": ["26"], "de_abc": [250.0]})})
    table = levels.set_index(["niveau", "code"])
    assert table.at[("epci", "E1"), "foyers_rsa"] == 15.0
    assert table.at[("departement", "26"), "de_abc"] == 250.0
    assert table.at[("epci", "E1"), "de_abc"] == 100.0
    assert set(levels["niveau"]) == {"commune", "epci", "departement"}


def _workbook(path, sheets: dict) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def test_unemployment_sheet_found_by_name_and_header_by_content(tmp_path):
    path = tmp_path / "chomage-zone-t1-2003-t2-2025.xlsx"
    _workbook(path, {"Sommaire": [["x"]], "txcho_ze": [
        ["Taux de chômage"], [], [], [], [],
        ["ZE2020", "LIBZE2020", "REG", "LIBREG", "2025-T1", "2025-T2"],
        [51, "Zone A", 84, "ARA", 7.1, 7.3]]})
    frame, problems = readers.read_source(adapters.load_adapter("insee_chomage"), path, 2025,
                                           path.name)
    assert not problems
    assert frame.at[0, "code_zone_emploi"] == "0051"  # a number in Excel: zero restored
    assert frame.at[0, "ligne_source"] == 7
    rates = besoins.chomage_annuel(values.parse_numbers(
        frame, ["taux_t1", "taux_t2", "taux_t3", "taux_t4"])[0], "moyenne")
    assert rates.at[0, "taux_chomage_ze"] == pytest.approx(7.2)  # known quarters only


def test_bad_workbooks_give_located_french_problems(tmp_path):
    path = tmp_path / "chomage-zone-2025.xlsx"
    _workbook(path, {"txcho_dep": [["DEP", "2025-T1"]]})
    _, problems = readers.read_source(adapters.load_adapter("insee_chomage"), path, 2025,
                                       path.name)
    assert [(p.regle, p.feuille) for p in problems] == [("source.feuille_absente", "txcho_ze")]
    assert "txcho_dep" in problems[0].message
    _workbook(path, {"txcho_ze": [["rien"], ["ici"]]})
    _, problems = readers.read_source(adapters.load_adapter("insee_chomage"), path, 2025,
                                       path.name)
    assert [p.regle for p in problems] == ["source.entete_introuvable"]
    path.write_bytes(b"not a workbook")
    _, problems = readers.read_source(adapters.load_adapter("insee_chomage"), path, 2025,
                                       path.name)
    assert [p.regle for p in problems] == ["source.classeur_illisible"]


def test_workbooks_with_macros_or_encryption_are_refused(tmp_path):
    import zipfile

    path = tmp_path / "Liste communes FRR_2025.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/vbaProject.bin", b"macro")
    _, problems = readers.read_source(adapters.load_adapter("frr"), path, 2025, path.name)
    assert [p.regle for p in problems] == ["source.classeur_refuse"]
    assert "macros" in problems[0].message
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    _, problems = readers.read_source(adapters.load_adapter("frr"), path, 2025, path.name)
    assert "chiffré" in problems[0].message


def test_the_national_list_is_cut_to_the_project_before_any_check(shared_public, tmp_path):
    import dataclasses
    import json

    from tests.conftest import cli

    adapter = dataclasses.replace(adapters.load_adapter("structures"), departements=("07",))
    liste, problems = readers.read_source(adapter, shared_public / "siae_asp_2019_07.csv", 2019,
                                           "siae_asp_2019_07.csv")
    ardeche = sum(1 for line in (shared_public / "siae_asp_2019_07.csv").read_text(
        "utf-8-sig").splitlines()[1:] if line.split(";")[1] == "007")
    assert len(liste) == ardeche and set(liste["code_departement"]) == {"07"}
    total = len((shared_public / "siae_asp_2019_07.csv").read_text("utf-8-sig").splitlines())
    assert [(p.regle, p.gravite, p.valeur) for p in problems] == [
        ("source.hors_perimetre", "info", f"{total - 1 - ardeche} ligne(s)")]
    assert "départements" in problems[0].message

    (tmp_path / "iae-etat.toml").write_text('[projet]\nnom = "Ardèche"\ndepartements = ["07"]\n',
                                            "utf-8")
    folder = tmp_path / "data/raw/structures/2025"
    folder.mkdir(parents=True)
    (folder / "siae.csv").write_bytes((shared_public / "siae_asp_2019_07.csv").read_bytes())
    result = cli(["--project-dir", str(tmp_path), "--json", "check"])
    assert result.returncode == 0, result.stdout + result.stderr
    found = json.loads(result.stdout)["problemes"]
    listed = [p for p in found if p["fichier"].endswith("siae.csv")]
    assert [p["regle"] for p in listed] == ["source.hors_perimetre"]


def test_a_code_error_message_has_its_accent():
    adapter = adapters.load_adapter("structures")
    frame = pd.DataFrame({"MESURE": ["ACI"], "CODE_DEPARTEMENT": ["999"],
                          "CODE_POSTAL": ["26000"], "COMMUNE": ["VALENCE"], "CODE_NAF2": [""],
                          "NATURE_JURIDIQUE": [""],
                          "SIRET": ["44229377500031"], "DENOMINATION_SOCIALE": ["X"]})
    frame.columns = [adapters.normalise_header(c) for c in frame.columns]
    _, problems = adapters.map_columns(adapter, frame, 2025, "liste.csv", 2)
    assert [p.message for p in problems] == [
        "« 999 » n'est pas un code de département valide (ligne 2)."]
