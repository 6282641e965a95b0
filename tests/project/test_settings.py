"""The ``[rapport]`` settings of ``iae-etat.toml``."""

from __future__ import annotations

import pytest

from iae_etat.common.errors import ConfigError
from iae_etat.project.config import load_projet
from iae_etat.project.settings import reglages


def _projet(tmp_path, section: str):
    projet = '[projet]\ndepartements = ["26"]\n'
    text = projet + section if section.startswith("[") or not section else section + projet
    (tmp_path / "iae-etat.toml").write_text(text, "utf-8")
    return load_projet(tmp_path)


def test_defaults_are_public_without_pdf(tmp_path):
    settings = reglages(_projet(tmp_path, ""))
    assert settings.diffusion == "publique" and settings.pdf is False


def test_restricted_diffusion_and_pdf(tmp_path):
    settings = reglages(_projet(tmp_path, '[rapport]\ndiffusion = "restreinte"\npdf = true\n'))
    assert settings.diffusion == "restreinte" and settings.pdf is True


@pytest.mark.parametrize("section", ['[rapport]\ndiffusion = "privee"\n',
                                     '[rapport]\npdf = "oui"\n', "rapport = 3\n"])
def test_invalid_settings_are_configuration_errors(tmp_path, section):
    with pytest.raises(ConfigError) as error:  # at load: project/validation.py
        _projet(tmp_path, section)
    assert "[rapport]" in error.value.message


def test_init_documents_the_settings(tmp_path):
    from iae_etat.project.init import create_project

    folder = create_project(tmp_path / "p", ["26"])
    assert reglages(load_projet(folder)).diffusion == "publique"
    text = (folder / "iae-etat.toml").read_text("utf-8")
    assert 'diffusion = "restreinte"' in text and 'scenarios = "scenarios"' in text


def test_scenario_folder_and_its_files(tmp_path):
    from iae_etat.project.settings import scenario_files

    projet = _projet(tmp_path, "")
    assert reglages(projet).scenarios == "scenarios" and scenario_files(projet) == []
    projet = _projet(tmp_path, '[rapport]\nscenarios = "plan"\n')
    (tmp_path / "plan").mkdir()
    for name in ("b.toml", "a.toml", "notes.md"):
        (tmp_path / "plan" / name).write_text("", "utf-8")
    assert [p.name for p in scenario_files(projet)] == ["a.toml", "b.toml"]
    with pytest.raises(ConfigError, match=r"\[rapport\] scenarios"):
        _projet(tmp_path, "[rapport]\nscenarios = 3\n")


def test_a_changed_scenario_file_reruns_the_scenarios_stage_only(tmp_path):
    from iae_etat.pipeline import incremental
    from iae_etat.pipeline.stages import BY_NAME
    from iae_etat.tables.files import HashCache

    projet = _projet(tmp_path, "")
    (tmp_path / "scenarios").mkdir()
    scenario = tmp_path / "scenarios" / "s.toml"
    scenario.write_text('titre = "un"\n', "utf-8")

    def fingerprint(name: str) -> str:
        return incremental.fingerprint(BY_NAME[name], [], projet, 2025, HashCache())

    before = {name: fingerprint(name) for name in ("scenarios", "analyse", "report")}
    scenario.write_text('titre = "deux"\n', "utf-8")
    assert fingerprint("scenarios") != before["scenarios"]
    # the others see it only through the scenarios' fingerprint, chained by the build
    assert fingerprint("analyse") == before["analyse"]
    assert fingerprint("report") == before["report"]
