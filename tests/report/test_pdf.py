"""The PDF report: WeasyPrint output, page numbers, table of contents, and life without it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from iae_etat.report.pdf import PDF_NAME, html_to_pdf, pdf_stage
from tests.conftest import cli

SECTIONS = ("Sommaire", "Synthèse", "L'offre d'insertion par type de structure",
            "Offre et besoins par territoire", "Parcours et sorties", "Financement",
            "Pistes pour le plan d'action", "Annexe méthodologique")


def _weasyprint_works() -> bool:
    try:
        html_to_pdf("<p>x</p>")
    except Exception:  # noqa: BLE001 - any failure means the PDF tests cannot run here
        return False
    return True


needs_weasyprint = pytest.mark.skipif(not _weasyprint_works(),
                                      reason="WeasyPrint ou Pango absent")


def _text(path) -> list[str]:
    """The text of each page: poppler's pdftotext when installed (as a reader would extract
    it), else pypdf."""
    if shutil.which("pdftotext"):
        result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                                capture_output=True, text=True, check=True, timeout=120)
        return result.stdout.split("\f")[:-1]
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(path)).pages]


@needs_weasyprint
def test_same_html_gives_same_pdf_bytes():
    page = "<h1>Titre</h1><p>Texte accentué : é à ç.</p>"
    assert html_to_pdf(page) == html_to_pdf(page)


@needs_weasyprint
@pytest.mark.slow
def test_build_pdf_has_sections_page_numbers_and_a_toc(demo_project):
    result = cli(["--project-dir", str(demo_project), "build", "--pdf"])
    assert result.returncode == 0, result.stderr
    pdf = demo_project / "reports/2025" / PDF_NAME
    pages = _text(pdf)
    text = "\n".join(pages)
    for title in SECTIONS:
        assert title in text
    assert f"Page 1 sur {len(pages)}" in pages[0]
    toc = pages[0][pages[0].index("Sommaire"):]
    assert "Annexe méthodologique ...." in toc  # leader dots then the page number
    assert all("Données fictives de démonstration" in page for page in pages)
    # A rebuild of the report without --pdf removes the PDF of the previous report.
    result = cli(["--project-dir", str(demo_project), "build", "--force"])
    assert result.returncode == 0, result.stderr
    assert not pdf.exists()


def test_missing_weasyprint_is_a_warning_and_the_rest_is_built(demo_project, monkeypatch):
    from iae_etat.pipeline.build import run
    from iae_etat.project.config import load_projet

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint → ImportError
    summary = run(load_projet(demo_project), 2025, pdf=True)
    assert summary.code_sortie == 0
    assert len(summary.messages) == 1 and "pip install weasyprint" in summary.messages[0]
    reports = demo_project / "reports/2025"
    assert (reports / "etat-des-lieux.html").is_file()
    assert (reports / "tableau-de-bord.xlsx").is_file()
    assert not (reports / PDF_NAME).exists()


def test_pdf_stage_reports_missing_library(tmp_path, monkeypatch):
    (tmp_path / "r.html").write_text("<p>x</p>", "utf-8")
    (tmp_path / PDF_NAME).write_bytes(b"%PDF old")
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    paths, message = pdf_stage(tmp_path, "r.html", wanted=True)
    assert paths == [] and "Pango" in message
    assert not (tmp_path / PDF_NAME).exists()


@needs_weasyprint
def test_a_weasyprint_failure_is_a_warning(tmp_path, monkeypatch):
    import weasyprint

    def fail(*args, **kwargs):
        raise RuntimeError("feuille de style illisible")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fail)
    (tmp_path / "r.html").write_text("<p>x</p>", "utf-8")
    paths, message = pdf_stage(tmp_path, "r.html", wanted=True)
    assert paths == [] and "feuille de style illisible" in message
