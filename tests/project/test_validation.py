"""The whole iae-etat.toml validated at load against its declaration (project/declaration.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iae_etat.common import rules
from iae_etat.project.config import load_projet
from iae_etat.project.declaration import SECTIONS, markdown_table
from iae_etat.project.validation import SettingsError
from tests.conftest import cli

ROOT = Path(__file__).parents[2]
SCOPE = '[projet]\ndepartements = ["26"]\n'


def _load(tmp_path, text: str):
    (tmp_path / "iae-etat.toml").write_text(text, "utf-8")
    return load_projet(tmp_path)


def _problems(tmp_path, text: str) -> list:
    with pytest.raises(SettingsError) as error:
        _load(tmp_path, text)
    return error.value.problemes


def test_defaults_fill_every_declared_key(tmp_path):
    settings = _load(tmp_path, SCOPE).settings
    assert settings.analyse.attribution == "implantation"
    assert settings.analyse.seuil_zone_blanche == 100
    assert settings.rapport.pdf is False and settings.financement.montant_rsa_annuel is None
    assert settings.valorisation.couts == () and dict(settings.section("bonnes_pratiques")) == {}


def test_the_issue_examples_are_refused_with_the_nearest_name(tmp_path):
    """`seuil_effectif`, `difusion`, `[analyse2]`: each named, with its line and a suggestion."""
    problems = _problems(tmp_path, SCOPE + "[secret_statistique]\nseuil_effectif = 5\n"
                                           "[rapport]\ndifusion = \"publique\"\n"
                                           "[analyse2]\nx = 1\n")
    assert [(p.regle, p.cellule, p.champ) for p in problems] == [
        ("configuration.cle_inconnue", "ligne 4", "[secret_statistique] seuil_effectif"),
        ("configuration.cle_inconnue", "ligne 6", "[rapport] difusion"),
        ("configuration.section_inconnue", "ligne 7", "[analyse2]")]
    assert problems[0].message.endswith("vouliez-vous dire « seuil_effectifs » ?")
    assert problems[1].message.endswith("vouliez-vous dire « diffusion » ?")
    assert problems[2].message.endswith("vouliez-vous dire « analyse » ?")
    assert all(p.gravite == "erreur" and p.conseil for p in problems)


@pytest.mark.parametrize(("section", "champ", "valeur", "attendu"), [
    ("[secret_statistique]\nseuil_effectifs = 0\n", "[secret_statistique] seuil_effectifs",
     "0", "un nombre entier, ≥ 1"),
    ("[secret_statistique]\nseuil_dominance = 1.5\n", "[secret_statistique] seuil_dominance",
     "1.5", "un nombre, > 0 et ≤ 1"),
    ("[secret_statistique]\nseuil_effectifs = 10.5\n", "[secret_statistique] seuil_effectifs",
     "10.5", "un nombre entier, ≥ 1"),
    ("[analyse]\nseuil_zone_blanche = \"cent\"\n", "[analyse] seuil_zone_blanche", "\"cent\"",
     "un nombre, ≥ 0"),
    ("[rapport]\npdf = 1\n", "[rapport] pdf", "1", "true ou false"),
])
def test_a_wrong_type_or_range_names_the_key_the_value_and_what_is_expected(
        tmp_path, section, champ, valeur, attendu):
    [problem] = _problems(tmp_path, SCOPE + section)
    assert (problem.champ, problem.valeur, problem.attendu, problem.cellule) == \
        (champ, valeur, attendu, "ligne 4")
    assert f"(lu : {valeur})" in problem.message


def test_tables_of_valorisation_are_checked_key_by_key(tmp_path):
    text = SCOPE + ("[[valorisation.couts]]\nlibelle = \"a\"\npar = \"sorties_durables\"\n"
                    "montant = 1\nsource = \"s\"\n"
                    "[[valorisation.couts]]\nlibelle = \"b\"\npar = \"sortie\"\nmontant = 2\n")
    problems = _problems(tmp_path, text)
    assert [(p.champ, p.cellule) for p in problems] == [
        ("[valorisation] couts n° 2 : par", "ligne 10"),
        ("[valorisation] couts n° 2 : source", "ligne 8")]  # absent: the table's header line
    assert "vouliez-vous dire « sorties_durables » ?" in problems[0].message
    ok = _load(tmp_path, text.replace('"sortie"', '"sorties_dynamiques"')
               + "source = \"t\"\n").settings.valorisation.couts
    assert [(c["libelle"], c["montant"]) for c in ok] == [("a", 1), ("b", 2)]


def test_a_key_that_needs_another_and_a_missing_scope(tmp_path):
    [problem] = _problems(tmp_path, SCOPE + "[financement]\nmontant_rsa_annuel = 7758.24\n")
    assert problem.regle == "configuration.cle_absente" and "« source »" in problem.message
    [problem] = _problems(tmp_path, "[rapport]\npdf = true\n")
    assert problem.message == "[projet] : la section [projet] est absente"


@pytest.mark.parametrize(("text", "ligne", "colonne", "raison"), [
    ('[projet]\nnom = Drôme\n', 2, 7, "un texte s'écrit entre guillemets"),
    ('[projet]\ndepartements = ["26"\nnom = "x"\n', 3, 1, "« ] » manquant"),
    ('[projet]\nnom = "a"\nnom = "b"\n', 3, 10, "clé déclarée deux fois"),
])
def test_toml_syntax_errors_are_french_with_line_and_column(tmp_path, text, ligne, colonne,
                                                            raison):
    with pytest.raises(SettingsError) as error:
        _load(tmp_path, text)
    assert f"à la ligne {ligne}, colonne {colonne}" in error.value.message
    assert raison in error.value.message
    [problem] = error.value.problemes
    assert problem.regle == "configuration.syntaxe"
    assert problem.cellule == f"ligne {ligne}, colonne {colonne}"


def test_check_lists_the_configuration_problems_and_exits_2(tmp_path):
    (tmp_path / "iae-etat.toml").write_text(SCOPE + "[analyse]\nattributon = \"residence\"\n",
                                            "utf-8")
    result = cli(["--project-dir", str(tmp_path), "--json", "check"])
    assert result.returncode == 2
    assert '"regle": "configuration.cle_inconnue"' in result.stdout
    assert "vouliez-vous dire « attribution » ?" in result.stdout
    assert "ligne 4 : [analyse] attributon : clé inconnue" in result.stderr


def test_every_configuration_rule_is_declared():
    assert {"configuration.syntaxe", "configuration.section_inconnue",
            "configuration.cle_inconnue", "configuration.type", "configuration.valeur",
            "configuration.cle_absente"} <= set(rules.catalogue())


def test_the_demo_configuration_and_init_are_valid(tmp_path):
    from iae_etat.project.init import create_project

    assert _load(tmp_path, (ROOT / "iae-etat.toml").read_text("utf-8")).settings \
        .financement.montant_rsa_annuel == 7758.24
    load_projet(create_project(tmp_path / "p", ["26"]))


def test_docs_reglages_holds_the_generated_table():
    page = (ROOT / "docs" / "reglages.md").read_text("utf-8")
    assert markdown_table() in page, \
        "docs/reglages.md est périmé : recopiez-y project.declaration.markdown_table()"
    for section in SECTIONS:
        assert f"`[{section.name}]`" in page
