"""The ``[rapport]`` settings of ``iae-etat.toml``."""

from __future__ import annotations

import pytest

from iae_etat.config import load_projet
from iae_etat.errors import ConfigError
from iae_etat.report.reglages import reglages


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
    with pytest.raises(ConfigError) as error:
        reglages(_projet(tmp_path, section))
    assert "[rapport]" in error.value.message


def test_init_documents_the_settings(tmp_path):
    from iae_etat.project import create_project

    folder = create_project(tmp_path / "p", ["26"])
    assert reglages(load_projet(folder)).diffusion == "publique"
    assert 'diffusion = "restreinte"' in (folder / "iae-etat.toml").read_text("utf-8")
