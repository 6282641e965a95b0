"""Reproducible installs: every dependency pinned, with its hashes, in requirements.lock."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_dependency_is_pinned_with_hashes_in_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = {_name(r) for r in [*project["dependencies"],
                                 *project["optional-dependencies"]["test"]]}
    lock = (ROOT / "requirements.lock").read_text("utf-8")
    pinned = {m.group(1).lower(): m.group(2)
              for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.M)}
    assert wanted - set(pinned) == set(), "make lock : dépendances absentes du verrou"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 6)[-1])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
