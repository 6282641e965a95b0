"""The user documentation: a short README that leads to the docs/ guide, links that resolve."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
LINK = re.compile(r"\]\(([^)#]+)\)")


def _links(page: Path) -> list[Path]:
    return [(page.parent / target).resolve() for target in LINK.findall(page.read_text("utf-8"))
            if not target.startswith("http")]


def test_readme_is_a_short_entry_for_users():
    text = (ROOT / "README.md").read_text("utf-8")
    assert len(text.splitlines()) <= 200
    for needed in ("make build", "make test", "## Le cycle annuel", "docs/README.md"):
        assert needed in text


def test_every_command_is_named_in_the_readme():
    from iae_etat.cli import app

    text = (ROOT / "README.md").read_text("utf-8")
    for command in app.registered_commands:
        assert f"`iae-etat {command.callback.__name__}" in text or \
            f"`iae-etat {command.name}" in text, command.callback.__name__


def test_every_link_of_the_readme_and_the_guide_resolves():
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [f"{page.name} → {target}" for page in pages for target in _links(page)
              if not target.exists()]
    assert not broken


def test_the_guide_index_lists_every_page():
    index = (ROOT / "docs" / "README.md").read_text("utf-8")
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "README.md":
            assert f"]({page.name})" in index, page.name
