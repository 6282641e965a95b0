"""The controls stage: the problems of a millésime sent back to those who can fix them.

It writes ``controles/anomalies.csv`` and ``controles/anomalies.xlsx`` (every problem of the
ingest and of the analysis) and, in ``controles/retours/``, one annotated copy of each return
that has something its SIAE can correct (``feedback.retour_workbook``), named by its SIRET,
rebuilt from the answers read (the sender's file is never reopened). It runs after the analysis
(whose sanity checks ``out_controles`` it lists) and before the report, which reads only tables.

Each annotated workbook is kept between builds (``data/cache/classeurs_retour/<millésime>/``)
under the digest of everything it is made of: after one corrected return, only the workbooks
whose answers or problems changed are made again (a national list of EPCI in « Résidence »
makes each one cost half a second).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from pathlib import Path

import pandas as pd

from iae_etat.common.entries import Entries
from iae_etat.common.errors import Probleme
from iae_etat.common.resources import code_fingerprint
from iae_etat.common.vocabulary import QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE
from iae_etat.project.config import Projet
from iae_etat.project.settings import campagne
from iae_etat.questionnaire.feedback import anomalies_xlsx, project_layout, retour_workbook
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.contracts import load_contract
from iae_etat.tables.files import write_bytes
from iae_etat.tables.xlsx import protect_csv_text

FOLDER = "controles"


def run_controls(projet: Projet, millesime: int, catalogue: Catalogue, reports_dir: Path,
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
            *write_retours(projet, millesime, collecte, anomalies,
                           catalogue.read_optional("core_reponses_lues"),
                           reports_dir / FOLDER / "retours", notice,
                           catalogue.read("core_territoires"))]


def write_retours(projet: Projet, millesime: int, collecte: pd.DataFrame,
                  anomalies: pd.DataFrame, lues: pd.DataFrame | None, folder: Path,
                  notice: str, territoires: pd.DataFrame) -> list[Path]:
    """One annotated workbook for each SIAE whose return has something it can correct, named by
    its SIRET, rebuilt from the answers read (``core_reponses_lues``): the sender's file is
    never reopened. ``territoires`` (``core_territoires``) gives the rows of « Résidence »."""
    sent = collecte[collecte["statut"].isin(["retenu", "ecarte"]) & collecte["siret"].notna()
                    & collecte["fichier"].isin(anomalies["fichier"])].copy()
    # One copy per SIAE: its kept return, else its last file set aside.
    sent["rang"] = sent["statut"] == "retenu"
    sent = sent.sort_values(["siret", "type_siae", "rang", "fichier"]).drop_duplicates(
        ["siret", "type_siae"], keep="last")
    shared = sent["siret"].duplicated(keep=False)
    shutil.rmtree(folder, ignore_errors=True)  # the staging copy of the last run's retours
    cache = projet.cache_dir("classeurs_retour", millesime)
    if sent.empty:
        Entries(cache, writable=True).prune()  # none kept: none needed
        return []
    contract = load_contract(QUESTIONNAIRES, projet.dir)
    residence_contract = load_contract(QUESTIONNAIRES_RESIDENCE, projet.dir)
    epcis, exemple = project_layout(territoires, projet.departements[0])
    echeance = campagne(projet).echeance_texte
    # what every workbook is made of besides its answers and problems
    made_of = ([dataclasses.replace(c, path=None) for c in (contract, residence_contract)],
              millesime, epcis, notice, echeance, exemple)
    kept = Entries(cache, writable=True, salt=code_fingerprint())
    by_file = {} if lues is None else {name: group for name, group in lues.groupby("fichier")}
    written = []
    for row, twin in zip(sent.itertuples(index=False), shared, strict=True):
        values = read_values(by_file.get(row.fichier))
        values.setdefault("siret", row.siret)
        values.setdefault("type_siae", row.type_siae)
        problemes = anomalies[anomalies["fichier"] == row.fichier]
        key = kept.key(made_of, sorted(values.items()), problemes.to_csv(index=False))
        data = kept.get(key, bytes)
        if data is None:
            # b"": nothing the SIAE can act on (the consultant's anomalies only)
            data = retour_workbook(contract, millesime, values, problemes,
                                   residence_contract=residence_contract, epcis=epcis,
                                   notice=notice, echeance=echeance, exemple=exemple) or b""
            kept.put(key, data)
        if not data:
            continue
        name = f"{row.siret}_{row.type_siae}.xlsx" if twin else f"{row.siret}.xlsx"
        write_bytes(folder / name, data)
        written.append(folder / name)
    kept.prune()
    return written


def read_values(rows: pd.DataFrame | None) -> dict:
    """Code → answer of one return from its rows of ``core_reponses_lues``."""
    if rows is None:
        return {}
    out = {}
    for champ, valeur, nombre_lu in zip(rows["champ"], rows["valeur"], rows["nombre"],
                                        strict=True):
        if pd.notna(nombre_lu):
            out[champ] = int(nombre_lu) if float(nombre_lu).is_integer() else float(nombre_lu)
        elif pd.notna(valeur):
            out[champ] = valeur
    return out


def anomalies_csv(anomalies: pd.DataFrame) -> bytes:
    """The controls as CSV for Excel users: ``;``, UTF-8 with BOM, no formula can run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(Probleme.COLUMNS)
    for row in anomalies[list(Probleme.COLUMNS)].fillna("").itertuples(index=False):
        writer.writerow([protect_csv_text(str(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
