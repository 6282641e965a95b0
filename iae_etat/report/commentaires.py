"""The committee's own words: ``commentaires/<millésime>/<section>.md`` rendered in their section.

A file is Markdown (CommonMark, raw HTML not interpreted: its text is escaped). The guidance of a
skeleton sits in an HTML comment (``<!-- … -->``), which is removed before rendering: a skeleton
left as it is adds nothing to the report. The files are inputs of the report stage (its
fingerprint, ``pipeline.incremental``), so a rebuild after an edit shows the new text.
"""

from __future__ import annotations

import re
from pathlib import Path

FOLDER = "commentaires"
SECTIONS = {
    "synthese": "Synthèse : ce que le comité retient",
    "offre": "L'offre par type de structure",
    "territoires": "Offre et besoins par territoire",
    "couverture": "Couverture des besoins et zones blanches",
    "publics": "Les publics",
    "parcours": "Parcours et sorties",
    "financement": "Financement",
    "evolution": "Évolution",
    "evolution_offre": "Plan d'action, axe 1 : évolution de l'offre",
    "orientation_publics": "Plan d'action, axe 2 : orientation des publics",
    "creation_structures": "Plan d'action, axe 3 : création de structures",
}
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def folder(project_dir: Path, millesime: int) -> Path:
    return project_dir / FOLDER / str(millesime)


def files(project_dir: Path, millesime: int) -> list[Path]:
    """The commentary files of a millésime that the report reads, sorted."""
    base = folder(project_dir, millesime)
    return [base / f"{name}.md" for name in sorted(SECTIONS) if (base / f"{name}.md").is_file()]


def to_html(text: str) -> str:
    """Markdown → HTML, raw HTML escaped, skeleton guidance removed; '' when nothing is left."""
    from markdown_it import MarkdownIt

    text = _COMMENT.sub("", text).strip()
    if not text:
        return ""
    return MarkdownIt("commonmark", {"html": False}).render(text)


def read(project_dir: Path, millesime: int) -> dict[str, str]:
    """Section → rendered HTML of every non-empty commentary file of the millésime."""
    from markupsafe import Markup

    out = {}
    for path in files(project_dir, millesime):
        html = to_html(path.read_text(encoding="utf-8"))
        if html:
            out[path.stem] = Markup(html)  # markdown-it escaped the text itself
    return out


def skeleton(section: str) -> str:
    """The text of a new commentary file: guidance in a comment, nothing rendered."""
    return (f"<!--\n{SECTIONS[section]}.\n\n"
            "Écrivez ici, en Markdown, les constats et les commentaires du comité pour cette "
            "section : ils apparaissent dans le rapport à la prochaine construction "
            "(« iae-etat build »).\nCe commentaire n'est pas affiché ; un fichier qui ne "
            "contient que lui n'ajoute rien au rapport.\n\nExemple :\n\n"
            "Le comité relève que…\n\n- premier constat ;\n- second constat.\n-->\n")


def write_skeletons(project_dir: Path, millesime: int) -> list[Path]:
    """Create the missing commentary files of the millésime (existing ones are kept)."""
    base = folder(project_dir, millesime)
    base.mkdir(parents=True, exist_ok=True)
    written = []
    for section in SECTIONS:
        path = base / f"{section}.md"
        if not path.exists():
            path.write_text(skeleton(section), encoding="utf-8")
            written.append(path)
    return written
