"""The committee's commentary files: skeletons, Markdown rendering, escaping, fingerprint."""

from __future__ import annotations

from iae_etat.report import commentaires


def test_skeletons_are_created_once_and_render_nothing(tmp_path):
    written = commentaires.write_skeletons(tmp_path, 2025)
    assert {p.stem for p in written} == set(commentaires.SECTIONS)
    assert commentaires.read(tmp_path, 2025) == {}  # guidance only: nothing in the report
    (tmp_path / "commentaires/2025/offre.md").write_text("Déjà écrit.", "utf-8")
    assert commentaires.write_skeletons(tmp_path, 2025) == []  # existing files are kept
    assert (tmp_path / "commentaires/2025/offre.md").read_text("utf-8") == "Déjà écrit."


def test_markdown_is_rendered_and_raw_html_escaped(tmp_path):
    folder = tmp_path / "commentaires/2025"
    folder.mkdir(parents=True)
    (folder / "synthese.md").write_text(
        "<!-- consigne -->\nLe comité **retient** :\n\n- un constat\n\n<script>x()</script>\n",
        "utf-8")
    (folder / "inconnue.md").write_text("Hors des sections connues.", "utf-8")
    out = commentaires.read(tmp_path, 2025)
    assert set(out) == {"synthese"}
    html = str(out["synthese"])
    assert "<strong>retient</strong>" in html and "<li>un constat</li>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "consigne" not in html


def test_commentary_files_are_in_the_report_fingerprint(tmp_path):
    from iae_etat.pipeline.incremental import fingerprint
    from iae_etat.pipeline.stages import BY_NAME
    from iae_etat.project.config import load_projet
    from iae_etat.tables.files import HashCache
    from tests.conftest import copy_project

    projet = load_projet(copy_project(tmp_path))
    before = fingerprint(BY_NAME["report"], [], projet, 2025, HashCache())
    folder = tmp_path / "commentaires/2025"
    folder.mkdir(parents=True)
    (folder / "publics.md").write_text("Un constat.", "utf-8")
    after = fingerprint(BY_NAME["report"], [], projet, 2025, HashCache())
    assert after != before
    (folder / "publics.md").write_text("Un autre constat.", "utf-8")
    assert fingerprint(BY_NAME["report"], [], projet, 2025, HashCache()) != after
    # another millésime's commentary does not make this one's report stale
    changed = fingerprint(BY_NAME["report"], [], projet, 2025, HashCache())
    (tmp_path / "commentaires/2024").mkdir()
    (tmp_path / "commentaires/2024/publics.md").write_text("Constat de 2024.", "utf-8")
    assert fingerprint(BY_NAME["report"], [], projet, 2025, HashCache()) == changed
