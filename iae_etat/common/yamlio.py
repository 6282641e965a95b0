"""YAML of the declarative files (contracts, adapters, rules, indicators), parsed by libyaml.

PyYAML's pure-Python parser spends about a second of a demo build on the hundred-odd files it
reads; its C binding (``CSafeLoader``, in the PyYAML wheels) gives the same data several times
faster. The pure-Python ``SafeLoader`` is used when PyYAML was built without libyaml. PyYAML is
imported on first use (``iae-etat --help`` reads no YAML).
"""

from __future__ import annotations

from typing import Any


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, with the C parser when there is one (same data, same
    ``yaml.YAMLError`` on a bad file)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
