"""The whole batch with hostile files dropped in: each answered by a record, the rest read,
peak memory of the run bounded (measured on the real command line in a subprocess)."""

from __future__ import annotations

import gzip
import json
import resource
import shutil
import subprocess
import sys

from tests.conftest import copy_project
from tests.tables.test_etendue import far_cell, ods_with_row

MILLESIME = "2025"


def test_hostile_files_answered_one_by_one_rest_of_batch_read(tmp_path):
    project = copy_project(tmp_path)
    raw = project / "data" / "raw"
    returns = raw / "questionnaires" / MILLESIME
    baseline = len([p for p in returns.iterdir() if not p.name.startswith(".")])
    (returns / "XFD1048576.xlsx").write_bytes(far_cell("XFD", 1048576))
    (returns / "repete.ods").write_bytes(ods_with_row(1_000_000, value=True))
    (returns / "..\\..\\x.xlsx").write_bytes(far_cell("A", 2))
    (returns / "lien.xlsx").symlink_to("/etc/passwd")
    ft = raw / "france_travail" / MILLESIME
    source = next(ft.glob("dares_defm_communales*.csv"))  # the DARES long file, as published
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    column = next(i for i, h in enumerate(header) if h.startswith("Nombre de demandeurs"))
    row = next(i for i, line in enumerate(lines) if line.startswith(f"{MILLESIME}-T4;"))
    cells = lines[row].split(";")
    cells[column] = "-5"
    lines[row] = ";".join(cells)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    asp = raw / "asp" / MILLESIME
    asp.mkdir(parents=True, exist_ok=True)
    with gzip.open(asp / "fluxIAE_Salarie_bombe.csv.gz", "wb", compresslevel=1) as handle:
        block = b"0" * (1024 * 1024)
        for _ in range(300):  # 300 MiB once decompressed, beyond the 256 MiB limit
            handle.write(block)

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, "-m", "iae_etat", "--project-dir", str(project),
                           "--millesime", MILLESIME, "--json", "check"],
                          capture_output=True, text=True, timeout=600)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert done.returncode == 1, done.stderr  # blocking data errors, never 70 nor 134
    summary = json.loads(done.stdout)
    by_file = {}
    for p in summary["problemes"]:
        by_file.setdefault(p["fichier"].rsplit("/", 1)[-1], set()).add(p["regle"])
    assert "fichier.feuille_demesuree" in by_file["XFD1048576.xlsx"]
    assert "fichier.feuille_demesuree" in by_file["repete.ods"]
    assert "fichier.non_ordinaire" in by_file["lien.xlsx"]
    assert "fichier.cache" in by_file["..\\..\\x.xlsx"]
    assert "source.nombre_hors_limites" in by_file[source.name]
    assert "source.fichier_trop_gros" in by_file["fluxIAE_Salarie_bombe.csv.gz"]
    # the rest of the batch: every return of the demo read as without the hostile files
    assert summary["questionnaires_recus"] == baseline + 2
    assert summary["questionnaires_retenus"] == 44  # as without them (3 demo returns are set aside)
    if peak_kib > before:  # the peak of this child (ru_maxrss of children is a maximum)
        assert peak_kib < 1024 * 1024, f"{peak_kib // 1024} Mio"
    assert "/etc/passwd" not in done.stdout and "root:x:" not in done.stdout
    shutil.rmtree(project / "data" / "raw" / "asp" / MILLESIME)
