"""``etat-des-lieux.pdf``: the HTML report printed by WeasyPrint (print CSS, page numbers, table
of contents with page references).

WeasyPrint needs the Pango system library. When it or Pango is missing, the PDF is skipped with
a French message saying what to install; every other output is still built.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from iae_etat.tables.files import write_bytes

PDF_NAME = "etat-des-lieux.pdf"
INSTALL_HINT = ("installez WeasyPrint (pip install weasyprint) et la bibliothèque Pango "
                "(Debian/Ubuntu : apt install libpango-1.0-0 libpangoft2-1.0-0 ; macOS : brew "
                "install pango)")


class PdfIndisponible(Exception):
    """WeasyPrint or its system libraries are missing: the message says what to install."""


def html_to_pdf(html: str) -> bytes:
    """The PDF bytes of a self-contained HTML page (no network access: no base URL)."""
    try:
        from weasyprint import HTML
    except ImportError as exc:
        raise PdfIndisponible(f"PDF non produit : WeasyPrint est absent ; {INSTALL_HINT}.") \
            from exc
    except OSError as exc:  # cffi could not load Pango or its dependencies
        raise PdfIndisponible(f"PDF non produit : une bibliothèque système manque à WeasyPrint "
                              f"({exc}) ; {INSTALL_HINT}.") from exc
    with _fixed_font_timestamps():
        try:
            return HTML(string=html, url_fetcher=_no_fetch).write_pdf()
        except Exception as exc:  # noqa: BLE001 - a PDF failure must not stop the other outputs
            raise PdfIndisponible(f"PDF non produit : WeasyPrint a échoué ({type(exc).__name__} : "
                                  f"{exc}) ; les autres sorties sont produites.") from exc


@contextmanager
def _fixed_font_timestamps():
    """Embedded font subsets carry a timestamp (fontTools honours ``SOURCE_DATE_EPOCH``):
    fix it so that the same report gives the same PDF bytes."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "946684800"  # 2000-01-01, as the xlsx files
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _no_fetch(url: str, *args, **kwargs):
    """The report is self-contained: any external resource is refused."""
    raise ValueError(f"ressource externe refusée : {url}")


def pdf_stage(reports_dir: Path, html_name: str, wanted: bool) -> tuple[list[Path], str]:
    """Write the PDF of ``html_name`` when ``wanted``; returns (written paths, warning).

    Without ``wanted``, a PDF left by an earlier run is removed, so that a PDF never describes
    another version of the report than the HTML beside it, and the warning says so.
    """
    target = reports_dir / PDF_NAME
    if not wanted:
        if target.is_file():
            target.unlink()
            return [], (f"{PDF_NAME} retiré : il ne correspondrait plus au rapport reconstruit "
                        "sans PDF. Pour le garder à chaque construction : [rapport] pdf = true "
                        "dans iae-etat.toml (ou build --pdf).")
        return [], ""
    try:
        data = html_to_pdf((reports_dir / html_name).read_text(encoding="utf-8"))
    except PdfIndisponible as exc:
        target.unlink(missing_ok=True)
        return [], str(exc)
    write_bytes(target, data)
    return [target], ""
