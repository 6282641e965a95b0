"""``iae-etat build --strict`` end to end with hostile files dropped in the demo project: each
answered by a French record naming its file, the rest built, exit 1 (0 without ``--strict``),
never exit 70."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import copy_project
from tests.questionnaire.fixtures import edit, rewrite_zip
from tests.tables.test_etendue import far_cell

MILLESIME = "2025"
SHEET = "xl/worksheets/sheet3.xml"


def _run(project, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iae_etat", "--project-dir", str(project),
                           "--millesime", MILLESIME, *options, "build"],
                          capture_output=True, text=True, timeout=900)


def _div0(data: bytes) -> bytes:
    """The return with its cell C4 of the third sheet a formula failing with #DIV/0!."""
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    start = xml.index(b'<c r="C4"')
    end = xml.index(b"</c>", start) + 4
    return rewrite_zip(data, replace={
        SHEET: xml[:start] + b'<c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c>' + xml[end:]})


def _code_twice(data: bytes) -> bytes:
    """The return with the row of its code « femmes » repeated with another value."""
    def copy_row(wb):
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                if row[0].value == "femmes":
                    ws.append([row[0].value, row[1].value, (row[2].value or 0) + 1])
                    return
    return edit(data, copy_row)


def _forged_date(data: bytes) -> bytes:
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml")
    start = core.index(b"<dcterms:modified")
    end = core.index(b"</dcterms:modified>")
    forged = b'<dcterms:modified xsi:type="dcterms:W3CDTF">2099-01-01T00:00:00Z'
    return rewrite_zip(data, replace={"docProps/core.xml": core[:start] + forged + core[end:]})


def _fluxiae_absurd(path) -> None:
    """Hours of lines 3, 4 and 5 of the monthly view: 1E308, inf and #DIV/0!."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")
    header = lines[1].split("|")
    column = header.index("emi_nb_heures_travail")
    for line, value in ((3, "1E308"), (4, "inf"), (5, "#DIV/0!")):
        cells = lines[line - 1].split("|")
        cells[column] = value
        lines[line - 1] = "|".join(cells)
    path.write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))


@pytest.mark.slow
def test_build_strict_with_hostile_files_exits_1_records_each_and_builds_the_rest(tmp_path):
    project = copy_project(tmp_path)
    raw = project / "data" / "raw"
    returns = raw / "questionnaires" / MILLESIME
    demo = sorted(p for p in returns.glob("*.xlsx"))
    div0, twice, dated = demo[0], demo[1], demo[2]
    div0.write_bytes(_div0(div0.read_bytes()))
    twice.write_bytes(_code_twice(twice.read_bytes()))
    forged = returns / f"{dated.stem}_bis.xlsx"  # a second return of the same SIAE, from 2099
    forged.write_bytes(_forged_date(dated.read_bytes()))
    (returns / "bombe.xlsx").write_bytes(rewrite_zip(demo[3].read_bytes(), add={
        "xl/media/bombe.bin": b"\0" * (30 * 1024 * 1024)}))  # 30 MiB of zeros in 30 kB
    (returns / "XFD1048576.xlsx").write_bytes(far_cell("XFD", 1048576))
    (returns / "lien.xlsx").symlink_to("/etc/passwd")
    ft = raw / "france_travail" / MILLESIME
    source = next(ft.glob("dares_defm_communales*.csv"))
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    column = next(i for i, h in enumerate(lines[0].split(";"))
                  if h.startswith("Nombre de demandeurs"))
    row = next(i for i, line in enumerate(lines) if line.startswith(f"{MILLESIME}-T4;"))
    cells = lines[row].split(";")
    cells[column] = "inf"
    lines[row] = ";".join(cells)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    flux = next((raw / "asp" / MILLESIME).glob("fluxIAE_EtatMensuelIndiv_*.csv.gz"))
    _fluxiae_absurd(flux)

    strict = _run(project, "--strict")
    assert strict.returncode == 1, strict.stderr  # data set aside: 1 under --strict, never 70
    assert "Erreur interne" not in strict.stderr + strict.stdout
    reports = project / "reports" / MILLESIME
    assert (reports / "etat-des-lieux.html").is_file()  # the rest was built
    assert (reports / "tableau-de-bord.xlsx").is_file()
    with open(reports / "controles" / "anomalies.csv", encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle, delimiter=";"))
    by_file: dict[str, list[dict]] = {}
    for record in records:
        by_file.setdefault(record["fichier"].rsplit("/", 1)[-1], []).append(record)

    def rules(name: str) -> set[str]:
        return {r["regle"] for r in by_file.get(name, [])}

    assert rules(div0.name) & {"questionnaire.valeur_erreur"}
    assert "questionnaire.code_en_double" in rules(twice.name)
    assert "questionnaire.date_douteuse" in rules(forged.name)
    assert rules("bombe.xlsx") & {"questionnaire.archive_suspecte",
                                  "questionnaire.fichier_trop_gros"}
    assert "fichier.feuille_demesuree" in rules("XFD1048576.xlsx")
    assert "fichier.non_ordinaire" in rules("lien.xlsx")
    assert "source.nombre_non_fini" in rules(source.name)
    found = {(r["cellule"], r["valeur"], r["regle"]) for r in by_file[flux.name]}
    assert {("ligne 3", "1E308", "source.nombre_hors_limites"),
            ("ligne 4", "inf", "source.nombre_non_fini"),
            ("ligne 5", "#DIV/0!", "source.nombre_invalide")} <= found
    for name in (div0.name, twice.name, forged.name, "bombe.xlsx", "XFD1048576.xlsx",
                 "lien.xlsx", source.name, flux.name):
        assert all(r["message"] and r["fichier"].endswith(name) for r in by_file[name])
    # the messages are French and name no Python error
    assert not any("Error" in r["message"] or "Traceback" in r["message"] for r in records)
    assert "root:x:" not in (reports / "controles" / "anomalies.csv").read_text("utf-8-sig")

    relaxed = _run(project)
    assert relaxed.returncode == 0, relaxed.stderr
    assert (reports / "etat-des-lieux.html").is_file()
