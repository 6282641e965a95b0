"""End to end: build the demo, partial inputs, failures that leave outputs intact."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import cli

pytestmark = pytest.mark.slow  # builds the demo end to end

TABLES = ["core_anomalies", "core_asp", "core_asp_bilan", "core_besoins",
          "core_besoins_territoires", "core_collecte", "core_reponses_lues", "core_sources",
          "core_structures", "core_territoires", "out_calage", "out_controles",
          "out_couverture", "out_ecarts", "out_evolution", "out_indicateurs", "out_scenarios",
          "out_scenarios_hypotheses", "out_scenarios_resultats",
          "raw_france_travail", "raw_questionnaires", "raw_questionnaires_residence",
          "raw_structures"]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_validated_tables_report_and_manifest(built_demo):
    processed = built_demo / "data" / "processed" / "2025"
    assert sorted(p.stem for p in processed.glob("*.parquet")) == TABLES
    out = pd.read_parquet(processed / "out_indicateurs.parquet")
    assert {"niveau", "code", "libelle", "indicateur", "unite", "type_siae", "public", "valeur",
            "statut", "diffusion"} <= set(out.columns)
    assert set(out["niveau"]) == {"commune", "epci", "arrondissement", "zone_emploi", "clpe",
                                  "departement"}
    territoires = pd.read_parquet(processed / "core_territoires.parquet")
    assert territoires["code_commune"].str.match(r"^26\d{3}$").all()
    html = (built_demo / "reports" / "2025" / "etat-des-lieux.html").read_text("utf-8")
    assert "Données fictives de démonstration" in html
    assert "<svg" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//|@import|<link""", html)
    assert "{{" not in html and "{%" not in html
    manifest = json.loads((built_demo / "reports" / "2025" / "build.json").read_text("utf-8"))
    assert manifest["millesime"] == 2025
    assert manifest["avertissement"] == "Données fictives de démonstration"
    import pyarrow.parquet as pq

    metadata = pq.read_schema(processed / "out_indicateurs.parquet").metadata
    assert metadata[b"iae_etat.avertissement"].decode() == "Données fictives de démonstration"
    files = {e["fichier"]: e["sha256"] for e in manifest["entrees"]}
    raw = built_demo / "data" / "raw" / "structures" / "2025" / "liste_siae.csv"
    assert files["data/raw/structures/2025/liste_siae.csv"] == \
        hashlib.sha256(raw.read_bytes()).hexdigest()
    assert "iae-etat.toml" in files


def test_report_key_figures_match_the_indicator_table(built_demo):
    out = pd.read_parquet(built_demo / "data/processed/2025/out_indicateurs.parquet")
    dep = out[(out["niveau"] == "departement") & (out["diffusion"] == "publique")
              & (out["type_siae"] == "ensemble")].set_index("indicateur")["valeur"]
    html = (built_demo / "reports" / "2025" / "etat-des-lieux.html").read_text("utf-8")
    from iae_etat.tables.formats import nombre

    assert f'data-indicateur="nb_siae"><span class="valeur">{nombre(dep["nb_siae"])}' in html
    assert f'data-indicateur="etp_conventionnes"><span class="valeur">' \
           f'{nombre(dep["etp_conventionnes"], 1)}' in html


def test_build_reports_bad_cells_and_goes_on(built_demo):
    anomalies = pd.read_csv(built_demo / "reports/2025/controles/anomalies.csv", sep=";",
                            dtype=str, encoding="utf-8-sig")
    errors = anomalies[anomalies["gravite"] == "erreur"]
    assert not errors.empty
    assert errors["cellule"].str.match(r"^[A-Z]+\d+$").all()
    assert errors["feuille"].notna().all()
    assert set(anomalies.loc[anomalies["fichier"].str.contains("questionnaires/"), "regle"]) == {
        "questionnaire.espaces_retires", "questionnaire.virgule_decimale",
        "questionnaire.nombre_invalide", "questionnaire.part_superieure",
        "questionnaire.somme_sorties", "questionnaire.etp_ecart",
        "questionnaire.siret_complete", "questionnaire.doublon",
        "questionnaire.fichier_renomme", "questionnaire.siae_inconnue",
        "questionnaire.millesime_errone"}
    reponses = pd.read_parquet(built_demo / "data/processed/2025/raw_questionnaires.parquet")
    collecte = pd.read_parquet(built_demo / "data/processed/2025/core_collecte.parquet")
    received = len(list((built_demo / "data/raw/questionnaires/2025").iterdir()))
    assert len(reponses) == received - collecte["statut"].isin(["ecarte", "remplace"]).sum()
    assert set(collecte["statut"]) == {"retenu", "ecarte", "remplace", "manquant"}
    # an annotated workbook for each SIAE whose return has something it can act on (a file
    # only renamed, a number typed « 18,5 » as asked, a SIAE outside the list: none)
    from iae_etat.questionnaire.feedback import for_siae

    retours = built_demo / "reports/2025/controles/retours"
    actionable = for_siae(anomalies.fillna(""))
    flagged = collecte[collecte["fichier"].isin(actionable["fichier"])
                       & collecte["statut"].isin(["retenu", "ecarte"])
                       & collecte["siret"].isin(pd.read_parquet(
                           built_demo / "data/processed/2025/raw_structures.parquet")["siret"])]
    assert sorted(p.stem for p in retours.iterdir()) == sorted(set(flagged["siret"]))
    assert (collecte.loc[collecte["statut"] == "remplace", ["erreurs", "avertissements"]]
            == 0).all().all()


def test_raw_files_are_never_modified(demo_project):
    before = _hashes(demo_project / "data" / "raw")
    assert cli(["--project-dir", str(demo_project), "build"]).returncode == 0
    assert _hashes(demo_project / "data" / "raw") == before


def test_partial_sources_build_and_say_what_is_missing(demo_project):
    shutil.rmtree(demo_project / "data/raw/questionnaires/2025")
    shutil.rmtree(demo_project / "data/raw/france_travail/2025")
    result = cli(["--project-dir", str(demo_project), "build"])
    assert result.returncode == 0, result.stderr
    assert "Source absente : questionnaires." in result.stdout
    assert "Source absente : france_travail." in result.stdout
    page = html.unescape((demo_project / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
    assert "pas de besoins ni de taux d'équipement" in page
    # no sentence drawn from the missing needs: the zones blanches are « non disponibles »
    assert "Aucune commune sans SIAE n'atteint le seuil" not in page
    assert "Zones blanches : non disponible" in page


def test_strict_exits_1_when_an_input_was_rejected(demo_project):
    result = cli(["--project-dir", str(demo_project), "--strict", "--json", "build"])
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["erreurs"] > 0 and summary["code_sortie"] == 1
    assert (demo_project / "reports/2025/etat-des-lieux.html").is_file()


def test_failed_run_leaves_previous_outputs_intact(demo_project):
    assert cli(["--project-dir", str(demo_project), "build"]).returncode == 0
    before = {**_hashes(demo_project / "data" / "processed"),
              **{k: v for k, v in _hashes(demo_project / "reports").items()
                 if not k.endswith("build.json")}}
    # A project override of a contract that the data cannot meet stops the run.
    (demo_project / "schemas").mkdir()
    contract = (Path(__file__).parents[2] / "schemas" / "core_structures.yaml").read_text()
    (demo_project / "schemas" / "core_structures.yaml").write_text(
        contract.replace("pattern: '^\\d{14}$'", "pattern: '^X$'"), "utf-8")
    result = cli(["--project-dir", str(demo_project), "build"])
    assert result.returncode == 1
    assert "ne respecte pas son contrat" in result.stderr
    assert "Traceback" not in result.stderr
    after = {**_hashes(demo_project / "data" / "processed"),
             **{k: v for k, v in _hashes(demo_project / "reports").items()
                if not k.endswith("build.json")}}
    assert after == before
    leftovers = [p.name for p in (demo_project / "data" / "processed").iterdir()
                 if p.name.startswith(".")]
    assert leftovers == []


def test_separate_stages_give_the_same_tables_as_build(demo_project, built_demo):
    for command in ("ingest", "analyse", "report"):
        result = cli(["--project-dir", str(demo_project), command])
        assert result.returncode == 0, result.stderr
    ours = _hashes(demo_project / "data" / "processed")
    theirs = _hashes(built_demo / "data" / "processed")
    assert ours.pop("2025/etat.json") and theirs.pop("2025/etat.json")  # paths and file times
    assert ours == theirs


def test_analyse_before_ingest_is_a_usage_error(demo_project):
    result = cli(["--project-dir", str(demo_project), "analyse"])
    assert result.returncode == 2
    assert "iae-etat ingest" in result.stderr
