"""``iae-etat sources``: every source with its full folder, and the files no reader sees."""

from __future__ import annotations

import json

from iae_etat.project.config import load_projet
from iae_etat.sources.inventory import inventory, misplaced
from tests.conftest import cli


def _project(tmp_path):
    (tmp_path / "iae-etat.toml").write_text('[projet]\nnom = "Essai"\ndepartements = ["26"]\n',
                                            "utf-8")
    raw = tmp_path / "data/raw"
    (raw / "questionnaires/2025").mkdir(parents=True)
    (raw / "questionnaires/2025/05154382993210.xlsx").write_bytes(b"x")
    (raw / "structures").mkdir(parents=True)
    (raw / "structures/liste_siae.csv").write_text("MESURE\n", "utf-8")  # no millésime folder
    (raw / "asp/2025").mkdir(parents=True)
    (raw / "asp/2025/21236360824457_ACI.xlsx").write_bytes(b"x")  # a return in asp/
    return tmp_path


def test_every_source_has_its_full_folder_and_the_questionnaires_are_listed(tmp_path):
    projet = load_projet(_project(tmp_path))
    entries = {e["source"]: e for e in inventory(projet, 2025)}
    assert entries["structures"]["dossier"] == "data/raw/structures/2025"
    assert entries["questionnaires"]["dossier"] == "data/raw/questionnaires/2025"
    assert entries["questionnaires"]["fichiers_trouves"] == ["05154382993210.xlsx"]
    undated = {e["source"]: e for e in inventory(projet, None)}
    assert undated["caf"]["dossier"] == "data/raw/caf/<millésime>"


def test_a_file_at_a_wrong_place_says_where_it_should_go(tmp_path):
    projet = load_projet(_project(tmp_path))
    records = {p.fichier: (p.regle, p.attendu) for p in misplaced(projet, 2025)}
    assert records == {
        "data/raw/structures/liste_siae.csv": ("source.fichier_mal_place",
                                               "data/raw/structures/2025/"),
        "data/raw/asp/2025/21236360824457_ACI.xlsx": ("source.fichier_mal_place",
                                                      "data/raw/questionnaires/2025/")}
    result = cli(["--project-dir", str(tmp_path), "--json", "sources"])
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)["fichiers_mal_places"]
    assert sorted(p["fichier"] for p in listed) == sorted(records)
    checked = cli(["--project-dir", str(tmp_path), "--json", "check"])
    rules = [p["regle"] for p in json.loads(checked.stdout)["problemes"]]
    assert rules.count("source.fichier_mal_place") == 2
