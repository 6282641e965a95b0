"""``iae-etat commentaires``: skeletons created on demand, never replacing the committee's text."""

from __future__ import annotations

from iae_etat.report.commentaires import SECTIONS
from tests.conftest import cli, copy_project


def test_commentaires_creates_the_skeletons_once(tmp_path):
    project = copy_project(tmp_path)
    result = cli(["--project-dir", str(project), "--millesime", "2025", "commentaires"])
    assert result.returncode == 0, result.stderr
    folder = project / "commentaires" / "2025"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(SECTIONS)
    (folder / "synthese.md").write_text("Notre constat.", "utf-8")
    result = cli(["--project-dir", str(project), "--millesime", "2025", "commentaires"])
    assert result.returncode == 0, result.stderr
    assert "Écrit" not in result.stdout
    assert (folder / "synthese.md").read_text("utf-8") == "Notre constat."
