"""The PDF report: WeasyPrint output, page numbers, table of contents, and life without it."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iae_etat.report.pdf import PDF_NAME, html_to_pdf, pdf_stage
from tests.conftest import cli

SECTIONS = ("Sommaire", "Synthèse", "L'offre d'insertion par type de structure",
            "Offre et besoins par territoire", "Parcours et sorties", "Financement",
            "Pistes pour le plan d'action")
ANNEX_SECTIONS = ("Fiches territoriales", "Tableaux détaillés par territoire",
                  "Annexe méthodologique", "Annexe : dictionnaire des données")
MAX_PAGES = 25  # the demo's decision document (issue 15)
MIN_FILL = 0.45  # share of a page's body height reached by ink, but on the first and last page
_CELL = re.compile(r'<td class="n">([^<]*)</td>')


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
def test_build_pdf_has_sections_page_numbers_and_a_toc(built_project):
    result = cli(["--project-dir", str(built_project), "build", "--pdf"])
    assert result.returncode == 0, result.stderr
    pdf = built_project / "reports/2025" / PDF_NAME
    pages = _text(pdf)
    text = "\n".join(pages)
    for title in SECTIONS:
        assert title in text
    assert f"Page 1 sur {len(pages)}" in pages[0]
    toc = pages[0][pages[0].index("Sommaire"):]
    assert "Pistes pour le plan d'action ...." in toc  # leader dots then the page number
    assert all("Données fictives de démonstration" in page for page in pages)
    assert len(pages) <= MAX_PAGES
    _every_table_number_is_printed(built_project / "reports/2025/etat-des-lieux.html", text)
    if shutil.which("pdftoppm"):
        fills = _fills(pdf)
        assert all(fill >= MIN_FILL for fill in fills[1:-1]), fills
    annexes = "\n".join(_text(built_project / "reports/2025/annexes.pdf"))
    for title in ANNEX_SECTIONS:
        assert title in annexes
    # the files used, to their last column (paths and fingerprints wrap rather than push it
    # out of the page)
    fingerprints = re.findall(r"<code>([0-9a-f]{16})…</code>", (
        built_project / "reports/2025/annexes.html").read_text("utf-8"))
    assert len(fingerprints) > 5
    assert all(f in re.sub(r"\s+", "", annexes) for f in fingerprints), fingerprints
    assert "Annexe méthodologique" not in text.split("Sommaire", 1)[1]
    # A rebuild of the report without --pdf removes the PDF of the previous report.
    result = cli(["--project-dir", str(built_project), "report", "--force"])
    assert result.returncode == 0, result.stderr
    assert not pdf.exists()
    assert not (built_project / "reports/2025/annexes.pdf").exists()


def _plain(text: str) -> str:
    """Narrow and ordinary no-break spaces as spaces, runs of white space as one."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def _every_table_number_is_printed(page, text: str) -> None:
    """Every figure of every table of the HTML is in the PDF's text: no column is cut."""
    printed = _plain(text)
    cells = {_plain(html.unescape(c)).strip() for c in _CELL.findall(page.read_text("utf-8"))}
    numbers = sorted(c for c in cells if re.search(r"\d", c))
    assert len(numbers) > 100
    missing = [c for c in numbers if c not in printed]
    assert not missing, missing[:20]


def _fills(pdf) -> list[float]:
    """For each page, how far down its body (inside the margins) the ink goes, from 0 to 1."""
    import tempfile

    from matplotlib.image import imread

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "20", "-gray", "-png", str(pdf), f"{folder}/p"],
                       check=True, timeout=120)
        out = []
        for image in sorted(Path(folder).glob("p-*.png")):
            pixels = imread(str(image))
            height = pixels.shape[0]
            body = pixels[round(height * 1.8 / 29.7):height - round(height * 2.0 / 29.7)]
            inked = [i for i in range(body.shape[0]) if (body[i] < 0.8).any()]
            out.append((inked[-1] + 1) / body.shape[0] if inked else 0.0)
    return out


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
