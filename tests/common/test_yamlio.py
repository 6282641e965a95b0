"""The C parser gives the data of PyYAML's pure-Python one on every shipped YAML file."""

from __future__ import annotations

import pytest
import yaml

from iae_etat.common import resources, yamlio


def _shipped() -> list:
    return [folder / name for kind in ("schemas", "pipelines")
            for folder in [resources.packaged_dir(kind)]
            for name in resources.names(kind, None, ".yaml")]


def test_every_declarative_file_parses_to_the_same_data():
    files = _shipped()
    assert len(files) > 40
    for path in files:
        text = path.read_text("utf-8")
        assert yamlio.safe_load(text) == yaml.safe_load(text), path.name


def test_a_bad_file_raises_the_yaml_error_and_nothing_is_constructed():
    with pytest.raises(yaml.YAMLError):
        yamlio.safe_load("cle: [ouverte\n")
    with pytest.raises(yaml.YAMLError):            # a safe loader: no Python object
        yamlio.safe_load("!!python/object/apply:os.system ['true']")
    assert yamlio.safe_load("a: 1\nb: [x, 2.5, null]\n") == {"a": 1, "b": ["x", 2.5, None]}
