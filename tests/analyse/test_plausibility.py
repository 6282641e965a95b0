"""Sanity checks against national orders of magnitude: warnings, never errors."""

from __future__ import annotations

import csv
import shutil

import pandas as pd

from iae_etat.analyse.plausibility import sanity_checks
from tests.conftest import cli, copy_project

TABLE = "data/processed/2025/out_indicateurs.parquet"


def departement(values: dict[tuple[str, str], float], diffusion: str = "restreinte",
                code: str = "26") -> pd.DataFrame:
    """Rows of one département: ``{(indicator, kind): value}``."""
    return pd.DataFrame([{"diffusion": diffusion, "niveau": "departement", "code": code,
                          "libelle": "Drôme", "indicateur": indicator, "type_siae": kind,
                          "public": "ensemble", "valeur": value}
                         for (indicator, kind), value in values.items()])


TYPICAL = {("nb_siae", "ensemble"): 45, ("nb_siae", "ACI"): 22, ("de_abc", "ensemble"): 30000,
           ("salaries_asp", "ensemble"): 1000, ("realisation_etp", "ensemble"): 95.0,
           ("taux_reponse", "ensemble"): 90.0, ("taux_sortie_dynamique", "ACI"): 30.0,
           ("sorties", "ACI"): 200}


def rules(values: dict) -> list[str]:
    return [p.regle for p in sanity_checks(departement(values), TABLE)]


def test_a_typical_departement_raises_nothing():
    assert rules(TYPICAL) == []


def test_each_figure_far_from_the_national_one_is_a_warning():
    # 300 SIAE > 250; 1000 salariés / 5000 DE × 1000 = 200 per 1 000 > 100;
    # ACI 30 % vs 28 % ± 25 is fine but 60 % is 32 points away; 40 % réalisation < 60 %.
    values = {**TYPICAL, ("nb_siae", "ensemble"): 300, ("nb_siae", "ACI"): 150,
              ("de_abc", "ensemble"): 5000, ("taux_sortie_dynamique", "ACI"): 60.0,
              ("realisation_etp", "ensemble"): 40.0, ("taux_reponse", "ensemble"): 45.0}
    problems = sanity_checks(departement(values), TABLE)
    assert [p.regle for p in problems] == [
        "vraisemblance.nb_siae", "vraisemblance.salaries_annee",
        "vraisemblance.taux_sortie_dynamique", "vraisemblance.realisation_etp",
        "vraisemblance.taux_reponse"]
    assert {p.gravite for p in problems} == {"avertissement"}
    ratio = next(p for p in problems if p.champ == "salaries_annee")
    assert ratio.valeur == "200" and ratio.fichier == TABLE
    assert ratio.message.startswith("Drôme (26) : 200 salariés en insertion pour 1 000")
    assert "DARES" in ratio.attendu


def test_share_of_aci_checked_from_ten_siae():
    # 2 ACI of 20 SIAE = 10 % < 20 %; with 9 SIAE the share is not checked.
    assert rules({**TYPICAL, ("nb_siae", "ensemble"): 20, ("nb_siae", "ACI"): 2}) == [
        "vraisemblance.nb_siae"]
    assert rules({**TYPICAL, ("nb_siae", "ensemble"): 9, ("nb_siae", "ACI"): 0}) == []


def test_exit_rate_on_few_exits_and_missing_values_are_not_checked():
    assert rules({**TYPICAL, ("taux_sortie_dynamique", "ACI"): 90.0,
                  ("sorties", "ACI"): 19}) == []
    assert rules({("nb_siae", "ensemble"): float("nan"),
                  ("realisation_etp", "ensemble"): float("nan")}) == []


def test_questionnaire_salaries_used_only_when_every_siae_answered():
    # 100 salariés / 30 000 DE = 3.3 per 1 000: only a full response makes it a warning.
    base = {k: v for k, v in TYPICAL.items() if k[0] != "salaries_asp"}
    partial = {**base, ("salaries_annee", "ensemble"): 100}
    assert rules(partial) == []
    assert rules({**partial, ("taux_reponse", "ensemble"): 100.0}) == [
        "vraisemblance.salaries_annee"]


def test_only_restreinte_rows_of_each_departement_are_read():
    far = {**TYPICAL, ("nb_siae", "ensemble"): 500}
    table = pd.concat([departement(far, diffusion="publique"), departement(TYPICAL),
                       departement(far, code="07").assign(libelle="Ardèche")])
    # 500 SIAE and 22 ACI among them (4.4 %): two warnings, both for the Ardèche only
    assert [p.message.split(" :")[0] for p in sanity_checks(table, TABLE)] == [
        "Ardèche (07)", "Ardèche (07)"]


def test_warnings_reach_the_controls_and_the_build_summary(tmp_path):
    """Half the questionnaires missing: a low response rate is a warning of anomalies.csv."""
    project = copy_project(tmp_path)
    returns = sorted((project / "data/raw/questionnaires/2025").rglob("*.xlsx"))
    for path in returns[: len(returns) * 3 // 5]:
        path.unlink()
    result = cli(["--project-dir", str(project), "--json", "build"])
    assert result.returncode in (0, 1), result.stderr
    with open(project / "reports/2025/controles/anomalies.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    reponse = [r for r in rows if r["regle"] == "vraisemblance.taux_reponse"]
    assert len(reponse) == 1 and reponse[0]["gravite"] == "avertissement"
    assert reponse[0]["fichier"] == TABLE
    shutil.rmtree(project)
