"""The controls stage: the problems of a millésime sent back to those who can fix them.

It writes ``controles/anomalies.csv`` and ``controles/anomalies.xlsx`` (every problem of the
ingest and of the analysis) and, in ``controles/retours/``, one annotated copy of each return
that has problems (``feedback.retour_workbook``), named by its SIRET. It runs after the analysis
(whose sanity checks ``out_controles`` it lists) and before the report, which reads only tables.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import Probleme
from iae_etat.project.config import Projet
from iae_etat.questionnaire.feedback import anomalies_xlsx, retour_workbook
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.files import write_bytes
from iae_etat.tables.safety import inspect_file
from iae_etat.tables.xlsx import protect_csv_text

FOLDER = "controles"


def run_controls(projet: Projet, catalogue: Catalogue, reports_dir: Path,
                 problem_tables: tuple[str, ...]) -> list[Path]:
    """Write the control files of the problems of ``problem_tables`` (tables of ``Probleme``
    rows, in this order) into ``reports_dir``; returns the written paths."""
    anomalies = pd.concat([catalogue.read(name) for name in problem_tables], ignore_index=True)
    collecte = catalogue.read("core_collecte")
    notice = projet.notice
    controls = reports_dir / FOLDER / "anomalies.csv"
    write_bytes(controls, anomalies_csv(anomalies))
    workbook = reports_dir / FOLDER / "anomalies.xlsx"
    write_bytes(workbook, anomalies_xlsx(anomalies, notice))
    return [controls, workbook,
            *write_retours(projet, collecte, anomalies, reports_dir / FOLDER / "retours",
                           notice)]


def write_retours(projet: Projet, collecte: pd.DataFrame, anomalies: pd.DataFrame,
                  folder: Path, notice: str) -> list[Path]:
    """One annotated .xlsx copy of each return that has problems, named by its SIRET."""
    sent = collecte[collecte["statut"].isin(["retenu", "ecarte"]) & collecte["siret"].notna()
                    & collecte["fichier"].fillna("").str.lower().str.endswith((".xlsx", ".ods"))
                    & collecte["fichier"].isin(anomalies["fichier"])].copy()
    # One copy per SIAE: its kept return, else its last file set aside.
    sent["rang"] = sent["statut"] == "retenu"
    sent = sent.sort_values(["siret", "type_siae", "rang", "fichier"]).drop_duplicates(
        ["siret", "type_siae"], keep="last")
    shared = sent["siret"].duplicated(keep=False)
    shutil.rmtree(folder, ignore_errors=True)  # the staging copy of the last run's retours
    written = []
    for row, twin in zip(sent.itertuples(index=False), shared, strict=True):
        problems = anomalies[anomalies["fichier"] == row.fichier]
        raw = projet.dir / row.fichier
        if not inspect_file(raw, row.fichier).sure:
            continue
        name = f"{row.siret}_{row.type_siae}.xlsx" if twin else f"{row.siret}.xlsx"
        try:
            data = retour_workbook(raw, problems, notice)
        except Exception:  # a workbook openpyxl cannot load gets no copy; it stays listed
            continue
        write_bytes(folder / name, data)
        written.append(folder / name)
    return written


def anomalies_csv(anomalies: pd.DataFrame) -> bytes:
    """The controls as CSV for Excel users: ``;``, UTF-8 with BOM, no formula can run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(Probleme.COLUMNS)
    for row in anomalies[list(Probleme.COLUMNS)].fillna("").itertuples(index=False):
        writer.writerow([protect_csv_text(str(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
