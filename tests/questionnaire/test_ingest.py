"""Returns built in tmp dirs: each repair, refusal and cross-field rule, by code and cell."""

from __future__ import annotations

import hashlib
import io

import pytest

from iae_etat.demo.generator import resaved
from iae_etat.questionnaire.stage import anomalies_csv
from iae_etat.sources.stage import Envoi, choose_latest, read_envoi
from tests.conftest import ROOT, cli
from tests.questionnaire.fixtures import (
    KIND,
    KNOWN,
    MILLESIME,
    RESIDENCE,
    SIRET,
    VALID,
    contracts,
    edit,
    ods_bytes,
    rewrite_zip,
    sheets_of,
    workbook,
    write,
)


def _ingest(tmp_path, data: bytes, name: str = f"{SIRET}_{KIND}.xlsx"):
    path = write(tmp_path, name, data)
    contract, residence = contracts()
    return read_envoi(path, name, contract, residence, MILLESIME, KNOWN)


def _rules(problems) -> list[tuple[str, str, str, str]]:
    return sorted((p.regle, p.feuille, p.cellule, p.gravite) for p in problems)


def test_valid_return_is_kept_whole(tmp_path):
    envoi, problems = _ingest(tmp_path, workbook())
    assert problems == []
    assert envoi.statut == "retenu" and envoi.key == (SIRET, KIND)
    assert envoi.answers == VALID
    assert envoi.residence == RESIDENCE


@pytest.mark.parametrize(("field", "raw", "value", "rule", "cell"), [
    ("chiffre_affaires", "640 000", 640000, "questionnaire.espaces_retires",
     ("Activité économique", "C6")),
    ("etp_realises", "19,8", 19.8, "questionnaire.virgule_decimale", ("Conventionnement", "C5")),
    ("siret", int(SIRET), SIRET, "questionnaire.siret_complete", ("Identité", "C4")),
])
def test_unambiguous_damage_is_repaired_with_a_warning(tmp_path, field, raw, value, rule, cell):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, field: raw}))
    assert envoi.statut == "retenu" and envoi.answers[field] == value
    assert _rules(problems) == [(rule, *cell, "avertissement")]


def test_commune_typed_as_number_is_completed(tmp_path):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, "code_commune_siege": 1001}))
    assert envoi.answers["code_commune_siege"] == "01001"
    assert _rules(problems) == [("questionnaire.code_complete", "Identité", "C7",
                                 "avertissement")]


@pytest.mark.parametrize(("raw", "value", "rule"), [
    ("26281;26362", "26281 ; 26362", None),
    ("1001, 26362", "01001 ; 26362", "questionnaire.code_complete"),
    (1001, "01001", "questionnaire.code_complete"),
    ("2A004 26281", "2A004 ; 26281", None),
    ("26281 ; Valence", None, "questionnaire.code_commune_invalide"),
])
def test_communes_of_the_sites_are_checked_one_by_one(tmp_path, raw, value, rule):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, "communes_sites": raw}))
    assert envoi.answers.get("communes_sites") == value
    assert [(p.regle, p.feuille, p.cellule) for p in problems] == (
        [(rule, "Identité", "C8")] if rule else [])


@pytest.mark.parametrize(("field", "raw", "rule", "cell"), [
    ("salaries_31_12", "environ 30", "questionnaire.nombre_invalide", ("Salariés", "C5")),
    ("benevoles", "12,5", "questionnaire.entier_attendu", ("Personnel permanent", "C7")),
    ("aide_au_poste", -5, "questionnaire.nombre_negatif", ("Conventionnement", "C6")),
    ("secteur_principal", "Jardinage", "questionnaire.valeur_hors_liste",
     ("Activité économique", "C4")),
    ("code_commune_siege", "26A00", "questionnaire.code_commune_invalide", ("Identité", "C7")),
])
def test_ambiguous_cells_are_errors_and_set_aside(tmp_path, field, raw, rule, cell):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, field: raw}))
    assert envoi.statut == "retenu" and field not in envoi.answers
    assert _rules(problems) == [(rule, *cell, "erreur")]


def test_blank_rows_and_renamed_sheet_lose_nothing(tmp_path):
    def damage(wb):
        wb["Salariés"].insert_rows(4, amount=2)
        wb["Publics"].title = "Publics accueillis"

    envoi, problems = _ingest(tmp_path, edit(workbook(), damage))
    assert envoi.answers == VALID
    assert _rules(problems) == [
        ("questionnaire.feuille_renommee", "Publics accueillis", "C4", "avertissement"),
        ("questionnaire.lignes_deplacees", "Salariés", "C6", "avertissement")]


def test_lost_stamp_falls_back_on_the_code_column(tmp_path):
    def drop_stamp(wb):
        del wb["_tampon"]

    envoi, problems = _ingest(tmp_path, edit(workbook(), drop_stamp))
    assert envoi.statut == "retenu" and envoi.answers == VALID
    assert [p.regle for p in problems] == ["questionnaire.tampon_absent"]


def test_renamed_file_is_a_warning(tmp_path):
    envoi, problems = _ingest(tmp_path, workbook(), name="questionnaire (2).xlsx")
    assert envoi.statut == "retenu"
    assert [(p.regle, p.gravite) for p in problems] == [("questionnaire.fichier_renomme",
                                                         "avertissement")]


@pytest.mark.parametrize(("changes", "rule", "cell", "dropped"), [
    ({"brsa": 61}, "questionnaire.part_superieure", ("Publics", "C4"), {"brsa"}),
    ({"brsa_31_12": 31}, "questionnaire.part_superieure", ("Au 31 décembre", "C9"),
     {"brsa_31_12"}),
    ({"entrees_brsa": 31}, "questionnaire.part_superieure", ("Parcours", "C5"),
     {"entrees_brsa"}),
    ({"sorties_autres": 13}, "questionnaire.somme_sorties", ("Parcours", "C6"),
     {"sorties_durables", "sorties_transition", "sorties_positives", "sorties_autres",
      "sorties_retraits"}),
])
def test_cross_field_errors_set_the_doubtful_answers_aside(tmp_path, changes, rule, cell,
                                                           dropped):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, **changes}))
    assert _rules(problems) == [(rule, *cell, "erreur")]
    assert set(VALID) - set(envoi.answers) == dropped


def test_split_that_does_not_add_up_is_a_warning(tmp_path):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, "femmes": 20}))
    assert _rules(problems) == [("questionnaire.repartition", "Salariés", "C6", "avertissement")]
    assert envoi.answers["femmes"] == 20


@pytest.mark.parametrize(("realises", "warned"), [(26.6, False), (26.7, True), (14.3, True),
                                                  (14.4, False)])
def test_etp_realises_beyond_30_percent_is_a_warning(tmp_path, realises, warned):
    envoi, problems = _ingest(tmp_path, workbook({**VALID, "etp_realises": realises}))
    expected = [("questionnaire.etp_ecart", "Conventionnement", "C5", "avertissement")]
    assert _rules(problems) == (expected if warned else [])
    assert envoi.answers["etp_realises"] == realises


def test_residence_beyond_the_salaries_is_set_aside(tmp_path):
    envoi, problems = _ingest(tmp_path, workbook(residence={**RESIDENCE, "hors": 6}))
    assert _rules(problems) == [("questionnaire.residence_superieure", "Résidence", "C4",
                                 "erreur")]
    assert envoi.residence == {}


@pytest.mark.parametrize(("answers", "millesime", "rule", "cell"), [
    ({**VALID, "siret": "99999999999999"}, MILLESIME, "questionnaire.identite_incoherente",
     ("Identité", "C4")),
    (VALID, MILLESIME - 1, "questionnaire.millesime_errone", ("_tampon", "B2")),
])
def test_returns_that_cannot_be_placed_are_set_aside(tmp_path, answers, millesime, rule, cell):
    data = workbook(answers, millesime)
    if answers["siret"] != SIRET:  # sent to SIRET, answered for another structure
        data = edit(workbook(), lambda wb: wb["Identité"].__setitem__("C4", answers["siret"]))
    envoi, problems = _ingest(tmp_path, data)
    assert envoi.statut == "ecarte"
    assert [(p.regle, p.feuille, p.cellule) for p in problems if p.bloquant] == [(rule, *cell)]


def test_unknown_siret_is_set_aside(tmp_path):
    stranger = {**VALID, "siret": "44444444444444"}
    envoi, problems = _ingest(tmp_path, workbook(stranger), name="44444444444444_ETTI.xlsx")
    assert envoi.statut == "ecarte"
    assert _rules(problems) == [("questionnaire.siae_inconnue", "Identité", "C4", "erreur")]


def test_wrong_contract_version_is_set_aside(tmp_path):
    data = workbook()
    stamp = sheets_of(data)["_tampon"]
    assert stamp[0] == ["version_contrat", contracts()[0].version]
    old = edit(data, lambda wb: wb["_tampon"].__setitem__("B1", "2019.1"))
    envoi, problems = _ingest(tmp_path, old)
    assert envoi.statut == "ecarte"
    assert _rules(problems) == [("questionnaire.version_contrat", "_tampon", "B1", "erreur")]


def test_duplicate_the_most_recent_save_wins():
    early = Envoi("a.xlsx", "retenu", (SIRET, KIND), "2026-03-01T10:00:00Z")
    late = Envoi("b (1).xlsx", "retenu", (SIRET, KIND), "2026-03-20T08:00:00Z")
    other = Envoi("c.xlsx", "retenu", ("21236360824457", "ACI"), "2026-01-01T00:00:00Z")
    problems = choose_latest([late, early, other])
    assert (early.statut, late.statut, other.statut) == ("remplace", "retenu", "retenu")
    assert [(p.fichier, p.regle, p.attendu) for p in problems] == [
        ("a.xlsx", "questionnaire.doublon", "b (1).xlsx")]


def test_save_date_is_read_from_the_workbook(tmp_path):
    envoi, _ = _ingest(tmp_path, resaved(workbook(), "2026-03-20T08:00:00Z"))
    assert envoi.enregistre_le == "2026-03-20T08:00:00"


def test_formula_injection_text_stays_text(tmp_path):
    text = '=HYPERLINK("http://exemple.invalid","cliquez")'
    envoi, problems = _ingest(tmp_path, workbook({**VALID, "bonnes_pratiques": text,
                                                  "chiffre_affaires": "=1+1"}))
    assert envoi.answers["bonnes_pratiques"] == text
    [problem] = problems
    assert (problem.regle, problem.valeur) == ("questionnaire.nombre_invalide", "=1+1")
    import pandas as pd

    csv = anomalies_csv(pd.DataFrame([problem.as_row()])).decode("utf-8-sig")
    assert ";'=1+1;" in csv


def test_ods_return_reads_like_the_xlsx(tmp_path):
    data = ods_bytes(sheets_of(workbook()))
    envoi, problems = _ingest(tmp_path, data, name=f"{SIRET}_{KIND}.ods")
    assert problems == []
    assert envoi.statut == "retenu" and envoi.answers == VALID and envoi.residence == RESIDENCE


def test_ods_with_macros_is_refused(tmp_path):
    data = rewrite_zip(ods_bytes(sheets_of(workbook())), add={"Basic/Standard/Module1.xml": b""})
    envoi, problems = _ingest(tmp_path, data, name=f"{SIRET}_{KIND}.ods")
    assert envoi.statut == "illisible"
    assert [p.regle for p in problems] == ["questionnaire.macros"]


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.slow
def test_project_with_bad_returns_builds_checks_and_keeps_raw_files(tmp_path):
    import shutil

    (tmp_path / "iae-etat.toml").write_bytes((ROOT / "iae-etat.toml").read_bytes())
    shutil.copytree(ROOT / "data/raw/structures/2025", tmp_path / "data/raw/structures/2025")
    folder = tmp_path / "data/raw/questionnaires/2025"
    write(folder, f"{SIRET}_{KIND}.xlsx", workbook())
    write(folder, "bombe.xlsx", rewrite_zip(workbook(), add={
        "xl/media/bombe.bin": b"\0" * (30 * 1024 * 1024)}))
    write(folder, "ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    write(folder, "21236360824457_ACI.xlsx", workbook({
        **VALID, "siret": "21236360824457", "type_siae": "ACI", "brsa": 99}))
    before = _hashes(tmp_path / "data/raw")
    checked = cli(["--project-dir", str(tmp_path), "check"])
    assert checked.returncode == 1, checked.stderr
    assert "bombe.xlsx" in checked.stdout and "Publics › C4" in checked.stdout
    built = cli(["--project-dir", str(tmp_path), "build"])
    assert built.returncode == 0, built.stderr
    assert _hashes(tmp_path / "data/raw") == before
    controles = tmp_path / "reports/2025/controles"
    assert (controles / "anomalies.xlsx").is_file()
    from openpyxl import load_workbook

    retour = load_workbook(controles / "retours/21236360824457.xlsx")
    assert retour.sheetnames[0] == "À corriger"
    assert retour["Publics"]["C4"].comment.text.startswith("À corriger : « dont bénéficiaires")
    listed = load_workbook(controles / "anomalies.xlsx")["Anomalies"]
    rules = {row[5] for row in listed.iter_rows(min_row=3, values_only=True)}
    assert {"questionnaire.archive_suspecte", "questionnaire.format_refuse",
            "questionnaire.part_superieure"} <= rules
    assert "Suivi de la collecte : 4 questionnaire(s) reçu(s), 2 retenu(s), 2 écarté(s)" \
        in built.stdout
    html = (tmp_path / "reports/2025/annexes.html").read_text("utf-8")  # the collecte
    # not an audit: the public annexes count the returns to correct without naming them
    assert "Questionnaires comportant des erreurs bloquantes" not in html
    assert "ne sont pas nommées dans ce document public" in html
    assert "21236360824457" not in html


def test_check_exits_zero_without_blocking_problem(tmp_path):
    (tmp_path / "iae-etat.toml").write_bytes((ROOT / "iae-etat.toml").read_bytes())
    write(tmp_path / "data/raw/questionnaires/2025", f"{SIRET}_{KIND}.xlsx", workbook())
    result = cli(["--project-dir", str(tmp_path), "--json", "check"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "data/processed/2025").exists()
    assert io.StringIO(result.stdout).read().count('"erreurs": 0') == 1
