"""What-if scenarios: parsing with located errors, coverage recomputed by hand, the command."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.secret import apply_secret
from iae_etat.analyse.stage import DERIVED
from iae_etat.cli import main
from iae_etat.common.errors import EXIT_USAGE, ScenarioError
from iae_etat.scenario.outputs import terminal_rows
from iae_etat.scenario.simulate import INPUTS, METHODE, before_after, parse_scenario, simulate
from tests.analyse.test_indicateurs import STRUCTURES, TERRITOIRES

# ETP conventionnés: A 10 (ACI, E1), B 0 (E1, no SIAE), C 5 (EI, E2); département D 15.
BESOINS = pd.DataFrame({"code_commune": ["A", "B", "C"], "de_abc": [600.0, 400.0, 500.0]})
PLUS_10_ACI_E1 = '[[hypothese]]\nepci = "E1"\ntype_siae = "ACI"\netp = 10\n'


@pytest.fixture(scope="module")
def published():
    raw = indicators(TERRITOIRES, STRUCTURES, BESOINS)
    return apply_secret(raw, TERRITOIRES, 11, {"salaries_annee", "de_abc"}, DERIVED)


def _scenario(text: str):
    """The tiny territories have letter codes: the INSEE/SIREN normalisation is bypassed."""
    import iae_etat.scenario.simulate as module

    with mock.patch.multiple(module, normalise_commune=str, normalise_epci=str):
        return parse_scenario(text, "scenarios/essai.toml")


def _simulate(published, text: str, seuil: float = 300) -> pd.DataFrame:
    out = simulate(published, TERRITOIRES, _scenario(text), seuil)
    return out[out["diffusion"] == "publique"].set_index(["niveau", "code", "besoin"])


def test_plus_10_etp_aci_in_an_epci_changes_the_epci_and_the_departement(published):
    out = _simulate(published, PLUS_10_ACI_E1)
    e1 = out.loc[("epci", "E1", "de_abc")]
    assert (e1["etp_avant"], e1["etp_apres"]) == (10, 20)
    assert e1["taux_avant"] == pytest.approx(10 / 1000 * 1000)
    assert e1["taux_apres"] == pytest.approx(20 / 1000 * 1000)                # 20 ETP pour 1 000
    assert e1["indice_avant"] == pytest.approx((1000 / 1500) / (1000 / 1500 + 10 / 15))  # 0,5
    # the reference stays the département before the scenario: 1 500 DE and 15 ETP
    assert e1["part_offre_apres"] == pytest.approx(20 / 15 * 100)
    assert e1["indice_apres"] == pytest.approx((1000 / 1500) / (1000 / 1500 + 20 / 15))  # 1/3
    assert e1["couverture_apres"] == "bonne" and e1["effet"] == "direct"
    d = out.loc[("departement", "D", "de_abc")]
    assert d["taux_avant"] == pytest.approx(15 / 1500 * 1000)                 # 10
    assert d["taux_apres"] == pytest.approx(25 / 1500 * 1000)                 # 16,67
    assert d["indice_avant"] == pytest.approx(0.5)
    assert d["indice_apres"] == pytest.approx(1 / (1 + 25 / 15)) and d["effet"] == "direct"


def test_with_the_reference_held_fixed_only_the_touched_territories_change(published):
    out = _simulate(published, PLUS_10_ACI_E1)
    assert set(out.index.droplevel("besoin")) == {("epci", "E1"), ("departement", "D")}
    assert (out["effet"] == "direct").all()
    # every territory, listed or not: E2 keeps 5/15 of the offer, indice 0,5 → 0,5
    inputs = published[(published["public"] == "ensemble")
                       & published["indicateur"].isin(INPUTS)]
    deltas = pd.DataFrame({"niveau": ["epci", "epci", "departement", "departement"],
                           "code": ["E1", "E1", "D", "D"],
                           "indicateur": ["etp_conventionnes"] * 4,
                           "type_siae": ["ACI", "ensemble"] * 2, "delta": [10.0] * 4})
    every = before_after(inputs, deltas, 300).set_index(["diffusion", "niveau", "code", "besoin"])
    e2 = every.loc[("publique", "epci", "E2", "de_abc")]
    assert e2["indice_avant"] == e2["indice_apres"] == pytest.approx((500 / 1500) / (
        500 / 1500 + 5 / 15))
    assert e2["part_offre_apres"] == pytest.approx(5 / 15 * 100)
    places = every.index.droplevel(["diffusion", "besoin"])
    untouched = every[~places.isin([("epci", "E1"), ("departement", "D")])]
    assert len(untouched) > 0
    for name in ("etp", "nb_siae", "taux", "part_offre", "indice", "couverture"):
        before, after = untouched[f"{name}_avant"], untouched[f"{name}_apres"]
        assert ((before == after) | (before.isna() & after.isna())).all(), name
    assert (untouched["zone_blanche_avant"] == untouched["zone_blanche_apres"]).all()
    # the arrondissement R1 (the whole département) is not made of EPCI: untouched, 15 ETP
    r1 = every.loc[("publique", "arrondissement", "R1", "de_abc")]
    assert r1["etp_apres"] == 15 and r1["indice_apres"] == pytest.approx(0.5)


def test_a_new_structure_ends_a_zone_blanche(published):
    text = ('[[hypothese]]\ncommune = "B"\ntype_siae = "EI"\netp = 4\n'
            'nouvelle_structure = "EI de Bêta"\n')
    out = _simulate(published, text)
    b = out.loc[("commune", "B", "de_abc")]
    assert (b["nb_siae_avant"], b["nb_siae_apres"]) == (0, 1)
    assert bool(b["zone_blanche_avant"]) and not bool(b["zone_blanche_apres"])  # 400 ≥ 300
    assert b["taux_apres"] == pytest.approx(4 / 400 * 1000)
    for level, code in (("epci", "E1"), ("arrondissement", "R1"), ("departement", "D")):
        row = out.loc[(level, code, "de_abc")]
        assert row["etp_apres"] - row["etp_avant"] == pytest.approx(4), level
        assert row["nb_siae_apres"] - row["nb_siae_avant"] == 1, level


def _problems(call) -> list[str]:
    with pytest.raises(ScenarioError) as error:
        call()
    assert error.value.exit_code == EXIT_USAGE
    return [p.message for p in error.value.problemes] or [error.value.message]


def test_file_problems_name_the_line_and_key():
    text = ('titre = "Essai"\nauteur = "moi"\n\n[[hypothese]]\nepci = "200040491"\n'
            'type_siae = "ACIS"\netp = "dix"\n\n[[hypothese]]\nepci = "200040491"\n'
            'commune = "26114"\ntype_siae = "EI"\netp = 3\n\n[[hypothese]]\nepci = "200040491"\n'
            'type_siae = "EI"\netp = 3\nnouvelle_structure = "X"\n')
    messages = _problems(lambda: parse_scenario(text, "s.toml"))
    assert messages == [
        "ligne 2, clé « auteur » : clé inconnue (clés possibles : titre, hypothese).",
        "ligne 6, hypothèse n° 1, clé « type_siae » : type de SIAE « ACIS » inconnu (valeurs "
        "possibles : ACI, AI, EI, ETTI, EITI).",
        "ligne 7, hypothèse n° 1, clé « etp » : le nombre d'ETP conventionnés ajoutés (ou "
        "retirés, s'il est négatif) doit être un nombre non nul, sans guillemets.",
        "ligne 11, hypothèse n° 2, clé « commune » : indiquez un seul territoire : commune = "
        "\"26198\" ou epci = \"200042901\".",
        "ligne 19, hypothèse n° 3, clé « nouvelle_structure » : une structure se crée dans une "
        "commune : remplacez epci par commune."]
    assert _problems(lambda: parse_scenario('titre = "x"\n', "s.toml")) == [
        "clé « hypothese » : aucune hypothèse : ajoutez au moins une table [[hypothese]]."]
    assert _problems(lambda: parse_scenario('titre = "x"\n[hypothese]\netp = 1\n', "s.toml")) == [
        "ligne 2, clé « hypothese » : écrivez [[hypothese]], avec des crochets doubles, en tête "
        "de chaque hypothèse."]
    assert _problems(lambda: parse_scenario('[[hypothese]]\netp = \n', "s.toml")) == [
        "s.toml : syntaxe TOML invalide à la ligne 2, colonne 7."]
    assert "« 2601A » n'est pas un code de commune" in _problems(lambda: parse_scenario(
        '[[hypothese]]\ncommune = "2601A"\ntype_siae = "AI"\netp = 1\n', "s.toml"))[0]


def test_data_problems_unknown_territory_absent_kind_negative_etp(published):
    messages = _problems(lambda: _simulate(
        published, '[[hypothese]]\ncommune = "Z"\ntype_siae = "AI"\netp = 1\n\n'
        '[[hypothese]]\nepci = "E2"\ntype_siae = "ACI"\netp = 2\n\n'
        '[[hypothese]]\ncommune = "C"\ntype_siae = "EI"\netp = -6\n\n'
        '[[hypothese]]\ncommune = "A"\ntype_siae = "AI"\netp = -1\n'))
    assert messages == [
        "ligne 2, hypothèse n° 1, clé « commune » : la commune Z n'est pas dans le périmètre du "
        "projet.",
        "ligne 8, hypothèse n° 2, clé « type_siae » : aucune SIAE de type ACI dans « EPCI CC "
        "Deux » : pour en créer une, indiquez une commune et nouvelle_structure = \"nom\".",
        "ligne 14, hypothèse n° 3, clé « etp » : retirer 6 ETP laisserait −1 ETP conventionnés "
        "d'EI dans « Commune Gamma » (il y en a 5).",
        "ligne 19, hypothèse n° 4, clé « etp » : les ETP conventionnés des AI de « Commune "
        "Alpha » ne sont pas connus (aucune structure n'a répondu) : le retrait ne peut pas "
        "être vérifié."]


# --- the command, on the built demo ---------------------------------------------------------

EPCI = "200040491"  # CC Porte de Dromardèche: one ACI


@pytest.fixture(scope="module")
def projet(built_demo, tmp_path_factory) -> Path:
    """A copy of the built demo: the command writes into reports/."""
    target = tmp_path_factory.mktemp("scenario") / "projet"
    shutil.copytree(built_demo, target, ignore=shutil.ignore_patterns(".iae-etat"))
    return target


def _run(project: Path, *args: str) -> tuple[int, str, str]:
    """The real entry point (``main``) inside CliRunner's isolated streams."""
    with CliRunner().isolation() as (stdout, stderr, _):
        try:
            main(["--project-dir", str(project), *args])
        except SystemExit as exc:
            code = exc.code
        sys.stdout.flush()
        sys.stderr.flush()
        return code, stdout.getvalue().decode(), stderr.getvalue().decode()


def _write(project: Path, name: str, text: str) -> Path:
    (project / "scenarios").mkdir(exist_ok=True)
    path = project / "scenarios" / name
    path.write_text(text, "utf-8")
    return path


def test_command_writes_the_before_after_table(projet):
    path = _write(projet, "aci.toml", f'titre = "ACI"\n[[hypothese]]\nepci = "{EPCI}"\n'
                                      'type_siae = "ACI"\netp = 10\n')
    code, out, err = _run(projet, "--json", "scenario", str(path))
    assert code == 0, err
    assert out, err
    result = json.loads(out)
    couverture = pd.read_parquet(projet / "data/processed/2025/out_couverture.parquet")
    before = couverture[(couverture["diffusion"] == "publique") & (couverture["besoin"] == "de_abc")
                        ].set_index(["niveau", "code"])
    rows = {(r["niveau"], r["code"]): r for r in result["lignes"] if r["besoin"] == "de_abc"}
    ref = before.loc[("departement", "26")]
    assert rows[("departement", "26")]["taux_avant"] == pytest.approx(ref["taux_equipement"])
    assert rows[("departement", "26")]["taux_apres"] == pytest.approx(
        (ref["etp_conventionnes"] + 10) / ref["valeur_besoin"] * 1000)
    # the EPCI has one SIAE: its ETP, hence its rate, are secret before and after
    assert pd.isna(before.loc[("epci", EPCI), "taux_equipement"])
    assert rows[("epci", EPCI)]["taux_avant"] is None
    assert rows[("epci", EPCI)]["taux_apres"] is None
    assert result["sorties"] == ["reports/2025/scenarios/aci.csv",
                                 "reports/2025/scenarios/aci.xlsx"]
    csv = (projet / "reports/2025/scenarios/aci.csv").read_bytes()
    assert csv.startswith("\ufeffdiffusion;niveau;code".encode())
    assert f";epci;{EPCI};".encode() in csv
    code, out, _ = _run(projet, "scenario", str(path))
    assert code == 0 and "Ajout de 10 ETP conventionnés d'ACI — EPCI CC Porte de Dromardèche" \
        in out and "Écrit : reports/2025/scenarios/aci.xlsx" in out
    assert "référence départementale fixe" in " ".join(out.split())
    sheet = load_workbook(projet / "reports/2025/scenarios/aci.xlsx")["Avant-après"]
    assert sheet["A3"].value == METHODE


def test_an_indice_shows_the_decimals_that_tell_it_apart_when_its_band_changes():
    row = {"niveau": "epci", "code": "E1", "libelle": "Un", "libelle_besoin": "DE",
           "etp_avant": 10.0, "etp_apres": 10.1, "taux_avant": 1.0, "taux_apres": 1.0,
           "couverture_avant": "faible", "couverture_apres": "très faible",
           "zone_blanche_avant": False, "zone_blanche_apres": False, "effet": "direct",
           "statut": "publie"}
    # 0,5996 and 0,6004 both read « 0,60 » (and « 0,600 »): the band change shows with 4
    # decimals; 0,598 → 0,601 with 3
    table = pd.DataFrame([{**row, "indice_avant": 0.5996, "indice_apres": 0.6004},
                          {**row, "indice_avant": 0.598, "indice_apres": 0.601},
                          {**row, "indice_avant": 0.55, "indice_apres": 0.65},
                          {**row, "indice_avant": 0.5, "indice_apres": 0.5001,
                           "couverture_apres": "faible"}])
    cells = [r[5] for r in terminal_rows(table)]
    assert cells == ["0,5996 → 0,6004", "0,598 → 0,601", "0,55 → 0,65", "0,50 → 0,50"]


def test_formula_like_text_stays_text_in_the_workbook(projet):
    from openpyxl import load_workbook

    path = _write(projet, "formule.toml",
                  f'titre = "=1+1"\n[[hypothese]]\nepci = "{EPCI}"\ntype_siae = "ACI"\n'
                  'etp = 1\ncommentaire = "=HYPERLINK(1)"\n')
    assert _run(projet, "scenario", str(path))[0] == 0
    wb = load_workbook(projet / "reports/2025/scenarios/formule.xlsx")
    cell = wb["Hypothèses"]["H2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize(("text", "expected"), [
    ('[[hypothese]]\ncommune = "26999"\ntype_siae = "AI"\netp = 1\n',
     "ligne 2, hypothèse n° 1, clé « commune » : la commune 26999 n'est pas dans le périmètre"),
    (f'[[hypothese]]\nepci = "{EPCI}"\ntype_siae = "ACIS"\netp = 1\n',
     "ligne 3, hypothèse n° 1, clé « type_siae » : type de SIAE « ACIS » inconnu"),
    (f'[[hypothese]]\nepci = "{EPCI}"\ntype_siae = "ACI"\netp = -1000\n',
     "ligne 4, hypothèse n° 1, clé « etp » : retirer 1000 ETP laisserait"),
    ('[[hypothese]\n', "syntaxe TOML invalide à la ligne 1"),
])
def test_command_bad_files_are_usage_errors_naming_file_and_line(projet, text, expected):
    path = _write(projet, "mauvais.toml", text)
    code, _, err = _run(projet, "scenario", str(path))
    assert code == EXIT_USAGE
    assert "scenarios/mauvais.toml" in err and expected in err and "Traceback" not in err


def test_command_on_a_millesime_not_built(demo_project):
    path = _write(demo_project, "aci.toml", PLUS_10_ACI_E1.replace("E1", EPCI))
    code, _, err = _run(demo_project, "scenario", str(path))
    assert code == EXIT_USAGE
    assert "Le millésime 2025 n'est pas construit" in err and "iae-etat build" in err
