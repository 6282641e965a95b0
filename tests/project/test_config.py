"""The scope of a project: départements, régions, or both."""

from __future__ import annotations

import pytest

from iae_etat.common.errors import ConfigError
from iae_etat.project.config import load_projet


def _project(tmp_path, projet: str):
    (tmp_path / "iae-etat.toml").write_text(f"[projet]\n{projet}\n", "utf-8")
    return load_projet(tmp_path)


def test_a_region_expands_to_its_departements(tmp_path):
    projet = _project(tmp_path, 'regions = ["94"]')
    assert projet.departements == ("2A", "2B")


def test_departements_and_regions_are_merged_without_duplicates(tmp_path):
    projet = _project(tmp_path, 'departements = ["2B", "26"]\nregions = ["94"]')
    assert projet.departements == ("2B", "26", "2A")


@pytest.mark.parametrize("projet, expected", [
    ('regions = ["99"]', "« 99 »"),
    ("departements = []", "liste non vide"),
    ('departements = "26"', "une liste de codes"),
])
def test_a_bad_scope_is_a_configuration_error(tmp_path, projet, expected):
    with pytest.raises(ConfigError, match=expected):
        _project(tmp_path, projet)
