"""The steering workbook: sheets, secrecy, diffusion, formula injection, LibreOffice."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from iae_etat.report.tableau_de_bord import build_dashboard

INJECTION = "=HYPERLINK(\"http://x\";\"clic\")"


def _indicateurs() -> pd.DataFrame:
    rows = []
    for diffusion in ("restreinte", "publique"):
        for niveau, code, libelle in (("commune", "26001", INJECTION),
                                      ("commune", "26002", "Albon"),
                                      ("epci", "200000001", "@CC du Test"),
                                      ("departement", "26", "Drôme")):
            secret = code == "26001"
            rows.append((niveau, code, libelle, "salaries_annee", "personnes", "ensemble",
                         "ensemble", None if secret and diffusion == "publique" else 7.0,
                         "s" if secret else "publie", diffusion))
            rows.append((niveau, code, libelle, "nb_siae", "structures", "ensemble", "ensemble",
                         1.0, "publie", diffusion))
            rows.append((niveau, code, libelle, "nb_siae", "structures", "ACI", "ensemble",
                         1.0 if code != "26002" else 0.0, "publie", diffusion))
    return pd.DataFrame(rows, columns=["niveau", "code", "libelle", "indicateur", "unite",
                                       "type_siae", "public", "valeur", "statut", "diffusion"])


def _territoires() -> pd.DataFrame:
    return pd.DataFrame({"code_commune": ["26001", "26002"], "nom_commune": [INJECTION, "Albon"],
                         "code_epci": ["200000001"] * 2, "nom_epci": ["@CC du Test"] * 2,
                         "code_departement": ["26", "26"]})


def _structures() -> pd.DataFrame:
    return pd.DataFrame({"siret": ["12345678900011"], "type_siae": ["ACI"],
                         "denomination": ["-2+3 Chantier"], "code_commune": ["26001"],
                         "a_repondu": [True], "etp_conventionnes": [3.5], "etp_realises": [3.0],
                         "salaries_annee": pd.array([7], dtype="Int64")})


def _evolution() -> pd.DataFrame:
    return pd.DataFrame(columns=["niveau", "code", "libelle", "indicateur", "unite",
                                 "type_siae", "public", "millesime_reference",
                                 "valeur_reference", "valeur", "ecart", "ecart_pct", "statut",
                                 "diffusion"])


def _workbook(tmp_path, diffusion: str):
    data = build_dashboard(_indicateurs(), _evolution(), _structures(), _territoires(),
                           territoire="Drôme", millesime=2025, diffusion=diffusion,
                           notice="Données fictives de démonstration")
    path = tmp_path / f"{diffusion}.xlsx"
    path.write_bytes(data)
    return path, data


def _sheet(path, name) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_public_workbook_has_levels_fiches_and_secret_cells(tmp_path):
    path, _ = _workbook(tmp_path, "publique")
    names = CalamineWorkbook.from_path(str(path)).sheet_names
    assert names == ["Lisez-moi", "Communes", "EPCI", "Départements", "Données",
                     "Fiche @CC du Test", "Évolution"]
    communes = _sheet(path, "Communes")
    header = communes[3]
    assert header[:4] == ["Code", "Commune", "Type de SIAE", "Public"]
    rows = {(r[0], r[2]): r for r in communes[4:]}
    salaries = header.index("Salariés en insertion sur l'année (personnes)")
    assert rows[("26001", "Ensemble")][salaries] == "s"
    assert rows[("26002", "Ensemble")][salaries] == 7.0
    assert ("26002", "ACI") not in rows  # no ACI there: no empty type row
    assert ("26001", "ACI") in rows


def test_restricted_workbook_shows_values_and_structures(tmp_path):
    path, _ = _workbook(tmp_path, "restreinte")
    communes = _sheet(path, "Communes")
    salaries = communes[3].index("Salariés en insertion sur l'année (personnes)")
    assert {r[0]: r[salaries] for r in communes[4:] if r[2] == "Ensemble"}["26001"] == 7.0
    structures = _sheet(path, "Structures")
    assert structures[4][:3] == ["12345678900011", "ACI", "-2+3 Chantier"]
    assert "DIFFUSION RESTREINTE" in " ".join(str(r[0]) for r in _sheet(path, "Lisez-moi"))



def test_readme_lines_fit_the_column_and_the_printed_page(tmp_path):
    from openpyxl import load_workbook

    from iae_etat.report.tableau_de_bord import README_WIDTH

    path, _ = _workbook(tmp_path, "restreinte")
    ws = load_workbook(path)["Lisez-moi"]
    lines = [c.value for c in ws["A"] if c.value]
    assert all(len(line) <= README_WIDTH for line in lines)
    assert ws.column_dimensions["A"].width > README_WIDTH
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    # a long text goes on over several rows, cut between words, never before « : » or « »
    text = " ".join(lines)
    assert "remplacées par « s »" in text or "Les valeurs sur fond gris" in text
    assert not any(line.lstrip().startswith((":", "»", ";")) for line in lines)
    assert any(line.startswith("  ") for line in lines)  # an item's second line is indented

def test_formula_injection_stays_text(tmp_path):
    from openpyxl import load_workbook

    path, _ = _workbook(tmp_path, "restreinte")
    assert _sheet(path, "Communes")[4][1] == INJECTION
    wb = load_workbook(path)
    cell = wb["Communes"]["B5"]
    assert cell.value == INJECTION and cell.data_type == "s" and cell.quotePrefix
    assert wb["Structures"]["C5"].quotePrefix
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_evolution_sheet_with_missing_and_secret_values(tmp_path):
    evolution = pd.DataFrame({
        "niveau": ["epci", "epci", "commune"], "code": ["200000001", "200000001", "26001"],
        "libelle": ["@CC du Test"] * 2 + ["X"], "indicateur": ["salaries_annee", "nb_siae",
                                                             "nb_siae"],
        "unite": ["personnes", "structures", "structures"], "type_siae": ["ensemble"] * 3,
        "public": ["ensemble"] * 3, "millesime_reference": [2024] * 3,
        "valeur_reference": pd.array([None, 2.0, 1.0], dtype="Float64"),
        "valeur": pd.array([None, 1.0, 1.0], dtype="Float64"),
        "ecart": pd.array([None, -1.0, 0.0], dtype="Float64"),
        "ecart_pct": pd.array([None, -50.0, 0.0], dtype="Float64"),
        "statut": ["s", "publie", "publie"], "diffusion": ["publique"] * 3})
    data = build_dashboard(_indicateurs(), evolution, _structures(), _territoires(),
                           territoire="Drôme", millesime=2025, diffusion="publique")
    path = tmp_path / "evolution.xlsx"
    path.write_bytes(data)
    rows = _sheet(path, "Évolution")[4:]
    assert [r[3] for r in rows] == ["Nombre de SIAE (structures)",
                                    "Salariés en insertion sur l'année (personnes)"]
    assert rows[0][7:] == [2.0, 1.0, -1.0, -50.0, ""]  # no series break declared here
    assert rows[1][7:] == ["s"] * 4 + [""]


def test_same_tables_give_same_bytes(tmp_path):
    assert _workbook(tmp_path, "publique")[1] == _workbook(tmp_path, "publique")[1]


def test_demo_dashboard_is_built_with_every_level(built_demo):
    path = built_demo / "reports/2025/tableau-de-bord.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    assert {"Lisez-moi", "Communes", "EPCI", "Arrondissements", "Départements",
            "Évolution"} <= set(book.sheet_names)
    assert "Structures" not in book.sheet_names  # publique diffusion by default
    out = pd.read_parquet(built_demo / "data/processed/2025/out_indicateurs.parquet")
    epci = out[(out["diffusion"] == "publique") & (out["niveau"] == "epci")]
    assert sum(n.startswith("Fiche ") for n in book.sheet_names) == epci["code"].nunique()
    dep = _sheet(path, "Départements")
    column = dep[3].index("ETP conventionnés")  # the unit is in the name: not repeated
    etp = out[(out["diffusion"] == "publique") & (out["indicateur"] == "etp_conventionnes")
              & (out["type_siae"] == "ensemble") & (out["public"] == "ensemble")]
    # the arrondissements are all published: their sum is the département's figure (some
    # EPCI are secret since the coordinated suppression: no value, so no sum over them)
    arrondissements = etp[etp["niveau"] == "arrondissement"]
    assert len(arrondissements) == 3 and (arrondissements["statut"] == "publie").all()
    ensemble = [r for r in dep[4:] if r[2] == "Ensemble"][0]
    assert ensemble[column] == pytest.approx(arrondissements["valeur"].sum())
    assert ensemble[column] == pytest.approx(
        etp.loc[etp["niveau"] == "departement", "valeur"].item())
    hidden = etp[(etp["niveau"] == "epci") & (etp["statut"] == "s")]
    assert hidden["valeur"].isna().all()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) absent")
def test_libreoffice_converts_the_dashboard(built_demo, tmp_path):
    source = built_demo / "reports/2025/tableau-de-bord.xlsx"
    result = subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir",
                             str(tmp_path), str(source)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tableau-de-bord.ods").stat().st_size > 0


@pytest.mark.slow
def test_restricted_project_keeps_report_and_annexe4_public(demo_project, built_demo):
    from tests.conftest import cli

    config = demo_project / "iae-etat.toml"
    config.write_text(config.read_text("utf-8").replace("[rapport]\n",
                                                         '[rapport]\ndiffusion = "restreinte"\n'),
                      "utf-8")
    result = cli(["--project-dir", str(demo_project), "build"])
    assert result.returncode == 0, result.stderr
    ours, public = demo_project / "reports/2025", built_demo / "reports/2025"
    book = CalamineWorkbook.from_path(str(ours / "tableau-de-bord.xlsx"))
    assert "Structures" in book.sheet_names
    assert (ours / "annexe4-26-2025.csv").read_bytes() == \
        (public / "annexe4-26-2025.csv").read_bytes()
    assert (ours / "etat-des-lieux.html").read_text("utf-8") == \
        (public / "etat-des-lieux.html").read_text("utf-8")


def _couverture() -> pd.DataFrame:
    rows = []
    for diffusion in ("restreinte", "publique"):
        rows.append((diffusion, "epci", "200000001", "de_abc", 0.65, "faible", "publie"))
        rows.append((diffusion, "epci", "200000001", "foyers_rsa",
                     0.1 if diffusion == "restreinte" else None,
                     "très bonne" if diffusion == "restreinte" else None, "s"))
    return pd.DataFrame(rows, columns=["diffusion", "niveau", "code", "besoin",
                                       "indice_couverture", "couverture", "statut"])


@pytest.mark.parametrize("diffusion", ["publique", "restreinte"])
def test_coverage_bands_are_coloured_and_written(tmp_path, diffusion):
    from openpyxl import load_workbook

    from iae_etat.report.tableau_de_bord import BAND_FILLS

    data = build_dashboard(_indicateurs(), _evolution(), _structures(), _territoires(),
                           _couverture(), territoire="Drôme", millesime=2025,
                           diffusion=diffusion)
    path = tmp_path / "couverture.xlsx"
    path.write_bytes(data)
    wb = load_workbook(path)
    ws = wb["EPCI"]
    header = [c.value for c in ws[4]]
    band, rsa = header.index("Couverture (DE ABC)") + 1, header.index("Couverture (foyers RSA)")
    ensemble = [r for r in ws.iter_rows(min_row=5) if r[2].value == "Ensemble"][0]
    assert ensemble[band - 1].value == "faible"
    assert ensemble[band - 1].fill.fgColor.rgb == "FF" + BAND_FILLS["faible"]
    assert ensemble[band - 2].value == 0.65 and ensemble[band - 2].number_format == "0.00"
    # a secret need: « s » in publique, the band on its colour in restreinte
    assert ensemble[rsa].value == ("s" if diffusion == "publique" else "très bonne")
    assert all(r[band - 1].value is None for r in ws.iter_rows(min_row=5)
               if r[2].value != "Ensemble")
    legend = {c.value.split(" :")[0]: c.fill.fgColor.rgb for c in wb["Lisez-moi"]["A"]
              if isinstance(c.value, str) and c.fill.fill_type == "solid"}
    assert legend == {b: "FF" + colour for b, colour in BAND_FILLS.items()}
    fiche = [[c.value for c in r] for r in wb["Fiche @CC du Test"].iter_rows()]
    assert [r[:3] for r in fiche if str(r[0]).startswith("Couverture des besoins —")][0] == \
        ["Couverture des besoins — Demandeurs d'emploi A, B, C (indice, classe)", 0.65, "faible"]


def test_layout_filters_frozen_panes_and_formats(tmp_path):
    from openpyxl import load_workbook

    path, _ = _workbook(tmp_path, "publique")
    wb = load_workbook(path)
    ws = wb["Communes"]
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == f"A4:{ws.cell(4, ws.max_column).column_letter}{ws.max_row}"
    nb_siae = [c.value for c in ws[4]].index("Nombre de SIAE (structures)")
    assert ws.cell(5, nb_siae + 1).number_format == "#,##0"
    assert wb["Fiche @CC du Test"].freeze_panes == "B5"
    assert ws.column_dimensions["B"].width == 34


def test_stream_writer_refuses_rows_out_of_order():
    from iae_etat.report.xlsx_stream import DEFAULT, StreamWorkbook

    ws = StreamWorkbook().sheet("a")
    ws.write(2, [(1, "x", DEFAULT)])
    with pytest.raises(ValueError):
        ws.write(2, [(1, "y", DEFAULT)])
    with pytest.raises(ValueError):
        ws.write(3, [(2, "y", DEFAULT), (1, "z", DEFAULT)])


def test_donnees_sheet_is_long_and_labelled_for_pivot_tables(tmp_path):
    path, _ = _workbook(tmp_path, "publique")
    sheet = _sheet(path, "Données")
    assert sheet[3] == ["Niveau", "Code", "Territoire", "Type de SIAE", "Public", "Indicateur",
                        "Code indicateur", "Unité", "Valeur", "Statut"]
    rows = sheet[4:]
    # publique rows of _indicateurs: 4 territories × (salariés, nb_siae ensemble) + the ACI
    # nb_siae where there is an ACI (26001, the EPCI, the département; not 26002) = 11
    assert len(rows) == 4 * 2 + 3
    secret = next(r for r in rows if r[1] == "26001" and r[6] == "salaries_annee")
    assert secret[8] == "" and secret[9] == "secret statistique"  # no « s » among numbers
    albon = next(r for r in rows if r[1] == "26002" and r[6] == "salaries_annee")
    assert albon[:6] == ["Commune", "26002", "Albon", "Ensemble", "Ensemble",
                         "Salariés en insertion sur l'année"]
    assert albon[8] == 7.0 and albon[9] == "publié"
    assert [r[0] for r in rows].index("EPCI") > [r[0] for r in rows].index("Commune")


def test_public_codes_are_written_as_labels(tmp_path):
    rows = _indicateurs()
    seniors = rows[rows["indicateur"] == "salaries_annee"].assign(public="50_plus")
    data = build_dashboard(pd.concat([rows, seniors], ignore_index=True), _evolution(),
                           _structures(), _territoires(), territoire="Drôme", millesime=2025,
                           diffusion="publique")
    path = tmp_path / "publics.xlsx"
    path.write_bytes(data)
    communes = _sheet(path, "Communes")
    publics = {r[3] for r in communes[4:]}
    assert publics == {"Ensemble", "Seniors de 50 ans et plus"}
    assert communes[0][0] == "Indicateurs — Communes — millésime 2025"


def test_french_order_and_readable_fiche_sheet_names():
    from iae_etat.report.tableau_de_bord_cellules import french_key, french_rank
    from iae_etat.report.tableau_de_bord_fiches import fiche_sheet_name

    names = ["Fay", "Érôme", "Drôme", "eurre", "Zénith"]
    assert sorted(names, key=french_key) == ["Drôme", "Érôme", "eurre", "Fay", "Zénith"]
    assert list(french_rank(pd.Series(names))) == [3, 1, 0, 2, 4]
    taken: set[str] = set()
    made = [fiche_sheet_name(n, taken) for n in (
        "CA Montélimar Agglomération",  # « Fiche » + 27 characters: Agglomération shortened
        "CC Jabron-Lure-Vançon-Durance",  # 29 characters: cut after a hyphen
        "CC du Crestois et de Pays de Saillans Coeur de Drôme",  # cut between words
        "CC du Crestois et de Pays de Saillans Coeur de Provence")]  # same start: numbered
    assert made[:3] == ["Fiche CA Montélimar Agglo", "Fiche CC Jabron-Lure-Vançon…",
                        "Fiche CC du Crestois…"]
    assert made[3] != made[2] and made[3].startswith("Fiche CC du Crestois")
    assert all(len(name) <= 31 for name in made)


def test_fiches_print_on_one_landscape_page_and_tables_fit_the_width(tmp_path):
    from openpyxl import load_workbook

    path, _ = _workbook(tmp_path, "publique")
    wb = load_workbook(path)
    fiche = wb["Fiche @CC du Test"]
    assert fiche.page_setup.orientation == "landscape"
    assert fiche.sheet_properties.pageSetUpPr.fitToPage
    assert (fiche.page_setup.fitToWidth, fiche.page_setup.fitToHeight) == (1, 1)
    communes = wb["Communes"]
    assert communes.page_setup.orientation == "landscape"
    assert (communes.page_setup.fitToWidth, communes.page_setup.fitToHeight) == (1, 0)


def _with_csv(diffusion: str, evolution: pd.DataFrame | None = None) -> tuple[bytes, dict]:
    written: dict[str, bytes] = {}
    data = build_dashboard(_indicateurs(), _evolution() if evolution is None else evolution,
                           _structures(), _territoires(), territoire="Drôme", millesime=2025,
                           diffusion=diffusion,
                           csv=lambda name, pieces: written.update({name: b"".join(pieces)}))
    return data, written


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv
    import io

    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("diffusion", ["publique", "restreinte"])
def test_long_tables_are_published_as_csv_with_the_cells_of_their_sheet(tmp_path, diffusion):
    """« Données », « Évolution » and « Communes » as CSV: the same rows as their sheet, numbers
    with a decimal comma, « s » and empty values where the sheet has them, no formula."""
    data, written = _with_csv(diffusion)
    assert sorted(written) == ["tableau-de-bord-communes.csv", "tableau-de-bord-donnees.csv",
                               "tableau-de-bord-evolution.csv"]
    path = tmp_path / "tdb.xlsx"
    path.write_bytes(data)
    for sheet, name in (("Données", "tableau-de-bord-donnees.csv"),
                        ("Communes", "tableau-de-bord-communes.csv")):
        table = _csv_rows(written[name])
        cells = _sheet(path, sheet)[3:]
        assert table[0] == cells[0]
        assert len(table) == len(cells)
        for line, row in zip(table[1:], cells[1:], strict=True):
            expected = ["" if v == "" else str(v).replace(".", ",").removesuffix(",0")
                        if isinstance(v, float) else str(v) for v in row]
            assert [v.removeprefix("'") for v in line] == expected
    communes = _csv_rows(written["tableau-de-bord-communes.csv"])
    salaries = communes[0].index("Salariés en insertion sur l'année (personnes)")
    ensemble = {r[0]: r[salaries] for r in communes[1:] if r[2] == "Ensemble"}
    assert ensemble == {"26001": "s" if diffusion == "publique" else "7", "26002": "7"}
    # the commune named as a formula stays text: quoted (it holds « ; » and « " ») and protected
    assert f'"\'{INJECTION.replace(chr(34), 2 * chr(34))}"'.encode() in \
        written["tableau-de-bord-communes.csv"]
    assert _csv_rows(written["tableau-de-bord-evolution.csv"]) == [[
        "Niveau", "Code", "Territoire", "Indicateur", "Type de SIAE", "Public",
        "Millésime de référence", "Valeur de référence", "Valeur 2025", "Écart",
        "Évolution (%)", "Rupture de série"]]


def test_a_table_too_long_for_a_workbook_is_in_its_csv_only(tmp_path, monkeypatch):
    from iae_etat.report import tableau_de_bord

    monkeypatch.setattr(tableau_de_bord, "WORKBOOK_ROWS_MAX", 2)
    data, written = _with_csv("publique")
    path = tmp_path / "tdb.xlsx"
    path.write_bytes(data)
    donnees = _sheet(path, "Données")
    assert len([r for r in donnees if any(v != "" for v in r)]) == 3  # title, subtitle, where
    assert "« tableau-de-bord-donnees.csv »" in donnees[3][0]
    assert "lignes, trop pour un classeur" in donnees[3][0]
    assert len(_csv_rows(written["tableau-de-bord-donnees.csv"])) > 3  # every row is there
    assert _sheet(path, "EPCI")[3][0] == "Code"  # a short table stays in the workbook


def test_a_table_in_its_csv_only_is_made_in_parts_with_the_same_bytes(built_demo,
                                                                         monkeypatch):
    """Past ``WORKBOOK_ROWS_MAX`` rows a table's cells are made ``PART_ROWS`` rows at a time
    (a national table has millions): its CSV is byte for byte the one made whole."""
    from iae_etat.analyse.evolution import evolution
    from iae_etat.report import tableau_de_bord, tableau_de_bord_csv

    processed = built_demo / "data/processed/2025"
    tables = [pd.read_parquet(processed / f"{name}.parquet")
              for name in ("out_indicateurs", "out_evolution", "core_structures",
                           "core_territoires", "out_couverture")]
    indicateurs = tables[0]  # the demo builds one millésime: an earlier one made up
    tables[1] = evolution(indicateurs, {2024: indicateurs.assign(
        valeur=indicateurs["valeur"] * 0.9)})

    def csv_files() -> dict[str, bytes]:
        written: dict[str, bytes] = {}
        build_dashboard(*tables, territoire="Drôme", millesime=2025, diffusion="publique",
                        csv=lambda name, pieces: written.update({name: b"".join(pieces)}))
        return written

    whole = csv_files()
    assert all(len(_csv_rows(data)) > 3 * 97 for data in whole.values())  # several parts
    monkeypatch.setattr(tableau_de_bord, "WORKBOOK_ROWS_MAX", 10)
    monkeypatch.setattr(tableau_de_bord_csv, "PART_ROWS", 97)
    assert csv_files() == whole


def test_evolution_csv_holds_what_the_sheet_shows(tmp_path):
    evolution = pd.DataFrame({
        "niveau": ["epci", "epci"], "code": ["200000001", "200000001"],
        "libelle": ["@CC du Test"] * 2, "indicateur": ["salaries_annee", "nb_siae"],
        "unite": ["personnes", "structures"], "type_siae": ["ensemble"] * 2,
        "public": ["ensemble"] * 2, "millesime_reference": [2024] * 2,
        "valeur_reference": pd.array([None, 2.0], dtype="Float64"),
        "valeur": pd.array([None, 1.0], dtype="Float64"),
        "ecart": pd.array([None, -1.0], dtype="Float64"),
        "ecart_pct": pd.array([None, -50.0], dtype="Float64"),
        "statut": ["s", "publie"], "diffusion": ["publique"] * 2,
        "rupture": ["", "nouvelle; série"]})
    _, written = _with_csv("publique", evolution)
    rows = _csv_rows(written["tableau-de-bord-evolution.csv"])[1:]
    assert rows[0][:3] == ["EPCI", "200000001", "'@CC du Test"]
    assert rows[0][6:] == ["2024", "2", "1", "-1", "-50", "nouvelle; série"]
    assert rows[1][6:] == ["2024", "s", "s", "s", "s", ""]


def test_the_long_tables_helpers_give_what_pandas_gives_row_by_row():
    """The dashboard's helpers work on dictionary codes (a national sheet has millions of
    rows); they must order and label every row as pandas does on the values themselves."""
    import numpy as np

    from iae_etat.report.tableau_de_bord_cellules import (
        as_categorical,
        french_key,
        french_rank,
        in_order,
        labelled,
        statut_codes,
    )

    rng = np.random.default_rng(7)
    words = ["Érôme", "Drôme", "Fay", "fay", "", "Ain", "ensemble"]
    for trial in range(120):
        n = int(rng.integers(0, 40))
        values = rng.choice([*words, None], n).tolist()
        present = [w for w in values if w is not None]
        categories = list(dict.fromkeys([*present, *rng.choice(words, 2)]))
        for series in (pd.Series(pd.Categorical(values, categories=categories)),
                       pd.Series(pd.Categorical(values, categories=sorted(categories))),
                       pd.Series(values, dtype=object)):
            def label(v):
                return "X" if v in ("Fay", "fay") else v.upper()

            expected = [label(v) for v in series.astype(object).fillna("")]
            assert list(labelled(series, label)) == expected
            assert list(as_categorical(series).astype(object)) == \
                list(pd.Categorical(series.astype(object)).astype(object))
            ranks = french_rank(series)
            keys = [french_key("" if v is None else v) for v in values]
            assert all((ranks[i] < ranks[j]) == (keys[i] < keys[j])
                       for i in range(n) for j in range(n))
            statuts = pd.Series(pd.Categorical(rng.choice(["publie", "s", "nd", None], n)))
            assert list(statut_codes(statuts)) == list(statut_codes(statuts.astype(object)))
        wide = rng.integers(0, 2 ** 40, n) if trial % 2 else rng.integers(0, 4, n)
        keys = {"rang": rng.integers(0, 3, n), "texte": pd.Series(values, dtype=object).array,
                "code": pd.Categorical(rng.choice(["b", "a", None], n), categories=["b", "a"]),
                "large": wide, "autre": rng.integers(0, 2 ** 40, n),
                "oui": rng.integers(0, 2, n).astype(bool)}
        frame = pd.DataFrame({"ligne": np.arange(n)})
        expected = pd.DataFrame(keys).sort_values(list(keys)).index.to_numpy()
        assert list(in_order(frame, keys)["ligne"]) == list(expected)
