"""The Parquet outputs read by another tool (DuckDB) give the report's figures and obey the
reconciliation laws and the statistical secrecy."""

from __future__ import annotations

import csv
import html
import re

import duckdb
import openpyxl
import pytest

from iae_etat.common.indicators import BY_CODE, CATALOGUE
from iae_etat.tables.formats import cellule

PARQUET = "data/processed/2025/out_indicateurs.parquet"


@pytest.fixture(scope="module")
def db(built_demo):
    """A DuckDB connection with the demo's indicators as the view ``ind``."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW ind AS SELECT * FROM read_parquet('{built_demo / PARQUET}')")
    yield con
    con.close()


def test_synthese_figures_equal_a_duckdb_query(db, built_demo):
    report = (built_demo / "reports/2025/etat-des-lieux.html").read_text(encoding="utf-8")
    shown = {code: html.unescape(text) for code, text in re.findall(
        r'<li data-indicateur="([a-z_0-9]+)"><span class="valeur">([^<]*)</span>', report)}
    assert {"nb_siae", "etp_conventionnes", "de_abc"} <= shown.keys()
    rows = db.execute(
        "SELECT indicateur, valeur, statut FROM ind WHERE diffusion = 'publique' "
        "AND niveau = 'departement' AND code = '26' AND type_siae = 'ensemble' "
        "AND public = 'ensemble'").fetchall()
    queried = {code: cellule(value, statut, BY_CODE[code].unite) for code, value, statut in rows}
    for code, text in shown.items():
        assert text == queried[code], code


@pytest.mark.parametrize("niveau", ["epci", "arrondissement", "zone_emploi"])
def test_communes_add_up_to_each_level_and_to_the_departement(db, niveau):
    """Sum over communes = territory, sum over territories = département (restreinte rows);
    the département's DE ABC are France Travail's own figure: its communes plus the DE it
    does not show by commune (``de_abc_non_ventile``)."""
    totals = db.execute(f"""
        SELECT indicateur,
               SUM(valeur) FILTER (WHERE niveau = 'commune') AS communes,
               SUM(valeur) FILTER (WHERE niveau = '{niveau}') AS territoires,
               SUM(valeur) FILTER (WHERE niveau = 'departement') AS departement
        FROM ind
        WHERE diffusion = 'restreinte' AND type_siae = 'ensemble' AND public = 'ensemble'
          AND indicateur IN ('nb_siae', 'etp_conventionnes_asp', 'salaries_asp', 'de_abc')
        GROUP BY indicateur ORDER BY indicateur""").fetchall()
    assert len(totals) == 4
    (rest,), = db.execute("""
        SELECT SUM(valeur) FROM ind WHERE diffusion = 'restreinte' AND niveau = 'departement'
          AND indicateur = 'de_abc_non_ventile'""").fetchall()
    assert rest > 0
    for indicateur, communes, territoires, departement in totals:
        shown = rest if indicateur == "de_abc" else 0.0
        assert communes + shown == pytest.approx(departement), indicateur
        assert territoires + shown == pytest.approx(departement), (indicateur, niveau)


def test_kinds_add_up_to_ensemble_and_publics_stay_below_totals(db):
    gaps = db.execute("""
        SELECT niveau, code, indicateur,
               SUM(valeur) FILTER (WHERE type_siae <> 'ensemble') AS kinds,
               MAX(valeur) FILTER (WHERE type_siae = 'ensemble') AS ensemble
        FROM ind
        WHERE diffusion = 'restreinte' AND public = 'ensemble'
          AND indicateur IN ('nb_siae', 'etp_conventionnes_asp', 'salaries_asp')
        GROUP BY ALL HAVING abs(kinds - ensemble) > 1e-6""").fetchall()
    assert gaps == []
    above = db.execute("""
        SELECT p.niveau, p.code, p.public, p.valeur, t.valeur
        FROM ind p JOIN ind t USING (diffusion, niveau, code, type_siae)
        WHERE p.diffusion = 'restreinte' AND p.indicateur = 'salaries_public'
          AND t.indicateur = 'salaries_annee' AND t.public = 'ensemble'
          AND p.valeur > t.valeur""").fetchall()
    assert above == []
    assert db.execute("SELECT count(*) FROM ind WHERE indicateur = 'salaries_public' "
                      "AND valeur IS NOT NULL").fetchone()[0] > 0


def test_no_published_count_of_people_under_the_threshold(db):
    effectifs = [i.code for i in CATALOGUE if i.effectif]
    small = db.execute(
        "SELECT count(*) FROM ind WHERE diffusion = 'publique' AND indicateur IN "
        f"({', '.join('?' * len(effectifs))}) AND valeur > 0 AND valeur < 11",
        effectifs).fetchone()[0]
    assert small == 0
    hidden = db.execute("SELECT count(*) FROM ind WHERE diffusion = 'publique' "
                        "AND statut = 's' AND valeur IS NOT NULL").fetchone()[0]
    assert hidden == 0
    assert db.execute("SELECT count(*) FROM ind WHERE diffusion = 'publique' "
                      "AND statut = 's'").fetchone()[0] > 0


def test_no_count_of_people_under_the_threshold_in_the_public_files(built_demo):
    """The dashboard (public diffusion) and the annexe 4 show counts of people only when they
    are zero or at least the threshold (11); a hidden one is « s »."""
    effectifs = {f"{i.libelle} ({i.unite})" for i in CATALOGUE if i.effectif}
    workbook = openpyxl.load_workbook(built_demo / "reports/2025/tableau-de-bord.xlsx",
                                      read_only=True)
    checked = secret = 0
    for sheet in workbook.worksheets:
        columns: list[int] = []
        for row in sheet.iter_rows(values_only=True):
            if not columns:
                columns = [i for i, v in enumerate(row) if v in effectifs]
                continue
            for i in columns:
                value = row[i] if i < len(row) else None
                if isinstance(value, int | float):
                    checked += 1
                    assert value == 0 or value >= 11, (sheet.title, row[:4], value)
                secret += value == "s"
    workbook.close()
    assert checked > 1000 and secret > 0
    path = built_demo / "reports/2025/annexe4-26-2025.csv"
    with path.open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter=";")
                if r["indicateur"] in {i.code for i in CATALOGUE if i.effectif}]
    values = [float(r["valeur"].replace(",", ".")) for r in rows if r["statut"] == "publie"]
    assert values and all(v == 0 or v >= 11 for v in values)
    assert all(r["valeur"] == "" for r in rows if r["statut"] == "s")


def _number(text: str) -> float | None:
    """A French number of the report (« 1 234,5 »), None for « s », « nd », « — »."""
    text = html.unescape(re.sub(r"<.*?>", "", text))
    try:
        return float(re.sub(r"[\s\u202f\xa0]", "", text).replace(",", "."))
    except ValueError:
        return None


def test_no_count_of_people_under_the_threshold_in_the_report(built_demo):
    """Every table cell of both documents holding a count of people (its column or its row
    names such an indicator) is zero, at least the threshold, or not shown."""
    labels = {i.libelle for i in CATALOGUE if i.effectif}
    pages = [(built_demo / f"reports/2025/{name}").read_text("utf-8")
             for name in ("etat-des-lieux.html", "annexes.html")]
    checked = 0
    for table in re.findall(r"<table.*?</table>", "".join(pages), flags=re.DOTALL):
        heads = [html.unescape(re.sub(r"<.*?>", "", h)).strip()
                 for h in re.findall(r'<th scope="col">(.*?)</th>', table, flags=re.DOTALL)]
        columns = {i for i, h in enumerate(heads) if h in labels}
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.DOTALL):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.DOTALL)
            if 'scope="col"' in row or not cells:
                continue
            name = html.unescape(re.sub(r"<.*?>", "", cells[0])).strip()
            counted = any(name == label or name.startswith(f"{label} (personnes)")
                          for label in labels)
            for i, cell in enumerate(cells[1:], start=1):
                value = _number(cell) if counted or i in columns else None
                if value is not None:
                    checked += 1
                    assert value == 0 or value >= 11, (name, heads[i:i + 1], value)
    assert checked > 100
