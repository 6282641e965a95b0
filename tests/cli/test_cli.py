"""The command line through its real entry point: help, version, errors, init."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import cli

COMMANDS = ["init", "questionnaire", "check", "ingest", "analyse", "report", "build", "sources",
            "telecharger", "status", "campagne", "scenario", "consolidate", "regles", "demo"]


def test_main_help_is_french_and_lists_every_command():
    result = cli(["--help"])
    assert result.returncode == 0
    assert "Utilisation : iae-etat" in result.stdout
    assert "Commandes" in result.stdout
    for command in COMMANDS:
        assert command in result.stdout
    for english in ("Show this message", "Usage:", "[env var"):
        assert english not in result.stdout
    for code in ("0 sorties produites", "1 erreurs de données", "2 erreur", "70 erreur interne",
                 "75 une autre exécution"):
        assert code in " ".join(result.stdout.split()), code


def test_json_gives_an_object_on_every_exit(tmp_path):
    """cron reads stdout: a usage error (2) and a missing project (2) still give JSON."""
    import json

    usage = cli(["--json", "--millesime", "abc", "build"])
    assert usage.returncode == 2
    assert json.loads(usage.stdout)["code_sortie"] == 2
    missing = cli(["--project-dir", str(tmp_path), "--json", "status"])
    assert missing.returncode == 2
    assert "iae-etat.toml" in json.loads(missing.stdout)["erreur"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_french_help(command):
    result = cli([command, "--help"])
    assert result.returncode == 0, result.stderr
    assert "Utilisation : iae-etat" in result.stdout
    assert "Afficher cette aide et quitter." in result.stdout
    # what an option takes is said in French; a yes/no switch shows nothing
    for english in ("<bool>", "<int", "<str>", "<path>", "<list", "[x>=", "BOOLEAN", "INTEGER"):
        assert english not in result.stdout, english


def test_help_imports_no_heavy_library():
    code = ("import sys; sys.argv=['iae-etat','--help']\n"
            "from iae_etat.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'matplotlib', 'pyarrow', 'pandera', 'openpyxl') "
            "if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in result.stdout


def test_regles_lists_the_catalogue_as_a_table_and_as_json():
    import json

    from iae_etat.common.rules import catalogue

    table = cli(["regles"])
    assert table.returncode == 0, table.stderr
    line = next(x for x in table.stdout.splitlines() if "questionnaire.nombre_invalide" in x)
    assert line.split() == ["questionnaire.nombre_invalide", "erreur", "Nombre", "illisible"]
    assert f"{len(catalogue())} règle(s)." in table.stdout
    data = json.loads(cli(["--json", "regles", "vraisemblance"]).stdout)
    assert [r["code"] for r in data["regles"]] == [c for c in catalogue()
                                                   if c.startswith("vraisemblance.")]
    assert {"code", "gravite", "titre", "message", "conseil", "famille"} == set(data["regles"][0])
    unknown = cli(["regles", "questionnaire.nombre_invalid"])
    assert unknown.returncode == 2
    assert "vouliez-vous dire « questionnaire.nombre_invalide » ?" in unknown.stderr.lower()


def test_version():
    from iae_etat import __version__

    result = cli(["--version"])
    assert result.returncode == 0
    assert result.stdout.strip() == f"iae-etat {__version__}"


def test_unknown_option_is_a_french_usage_error():
    result = cli(["--bogus"])
    assert result.returncode == 2
    assert "Erreur d'utilisation : Option inconnue : --bogus" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_project_is_a_configuration_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "IAE_ETAT_PROJECT_DIR"}
    result = cli(["build"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Aucun projet trouvé" in result.stderr
    assert "Traceback" not in result.stderr


def test_project_dir_from_environment(tmp_path):
    (tmp_path / "iae-etat.toml").write_text('[projet]\ndepartements = ["zz"]\n', "utf-8")
    env = {**os.environ, "IAE_ETAT_PROJECT_DIR": str(tmp_path)}
    result = cli(["build"], env=env)
    assert result.returncode == 2
    assert "iae-etat.toml" in result.stderr and "« zz »" in result.stderr


def test_init_creates_an_empty_project(tmp_path):
    target = tmp_path / "drome"
    result = cli(["init", str(target), "--departement", "26"])
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((target / "iae-etat.toml").read_text("utf-8"))
    assert config["projet"]["departements"] == ["26"]
    assert (target / "data" / "raw" / "questionnaires").is_dir()
    assert "data/raw/france_travail/" in (target / "README.md").read_text("utf-8")
    again = cli(["init", str(target), "--departement", "26"])
    assert again.returncode == 2 and "contient déjà un projet" in again.stderr


def test_init_refuses_an_unknown_departement(tmp_path):
    result = cli(["init", str(tmp_path / "x"), "--departement", "20"])
    assert result.returncode == 2
    assert "n'est pas un code de département" in result.stderr


def test_missing_millesime_is_explained(demo_project):
    result = cli(["--project-dir", str(demo_project), "--millesime", "1999", "build"])
    assert result.returncode == 2
    assert "Le millésime 1999 n'a aucune donnée" in result.stderr


@pytest.mark.parametrize(("given", "expected"), [
    (["build", "--quiet"], ["--quiet", "build"]),
    (["--json", "build", "--millesime", "2025", "-q"], ["--json", "--millesime", "2025", "-q",
                                                       "build"]),
    (["--project-dir", "p", "demo", "d", "--graine", "3", "--project-dir=q"],
     ["--project-dir", "p", "--project-dir=q", "demo", "d", "--graine", "3"]),
    (["init", "x", "--", "--quiet"], ["init", "x", "--", "--quiet"]),
])
def test_global_options_are_accepted_after_the_command(given, expected):
    from iae_etat.cli import hoist_global_options

    assert hoist_global_options(given) == expected


def test_quiet_after_the_command_silences_the_build(built_demo):
    result = cli(["build", "--quiet", "--project-dir", str(built_demo)])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
