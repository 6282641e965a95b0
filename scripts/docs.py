"""Rewrite the generated pages of the user guide: ``docs/controles.md`` (from
``schemas/regles.yaml``) and the settings table of ``docs/reglages.md`` (from
``iae_etat/project/declaration.py``, between its two markers). Tests fail while they are stale.

Usage: ``.venv/bin/python scripts/docs.py``
"""

from __future__ import annotations

from pathlib import Path

from iae_etat.common import rules
from iae_etat.project.declaration import markdown_table

DOCS = Path(__file__).resolve().parents[1] / "docs"
BEGIN = "<!-- début de la table générée (scripts/docs.py) -->\n"
END = "<!-- fin de la table générée -->\n"


def main() -> None:
    (DOCS / "controles.md").write_text(rules.markdown(), encoding="utf-8")
    page = (DOCS / "reglages.md").read_text(encoding="utf-8")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    (DOCS / "reglages.md").write_text(head + BEGIN + markdown_table() + END + tail,
                                      encoding="utf-8")


if __name__ == "__main__":
    main()
