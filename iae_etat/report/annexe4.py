"""``annexe4-<département>-<millésime>.csv`` and ``.xlsx``: the regional indicator table (pure).

The « tableau d'appui et de pilotage partagé » of Annexe 4 of the founding note: one fixed,
documented table per département (``docs/annexe4.md``), always in ``publique`` diffusion, that
the DREETS gathers with ``iae-etat consolidate``. Its rows are fixed: every indicator of
``INDICATEURS`` for ``ensemble`` and, when the indicator exists by type, each type of SIAE — a
value absent from ``out_indicateurs`` is written ``nd``, never left out.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd

from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE, TYPES_SIAE
from iae_etat.tables.formats import decimal_text
from iae_etat.tables.sheets import header_row, put
from iae_etat.tables.sheets import table as as_table
from iae_etat.tables.xlsx import protect_csv_text, workbook_bytes

VERSION = "2026.1"
INDICATEURS = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee", "taux_reponse",
               "de_abc", "taux_equipement_etp_de_abc")
COLUMNS = ("version_annexe4", "version_contrat", "millesime", "code_region", "region",
           "code_departement", "departement", "indicateur", "libelle_indicateur", "unite",
           "type_siae", "valeur", "statut", "donnees_fictives")
TITLES = {"version_annexe4": "Version du format de l'annexe 4",
          "version_contrat": "Version du contrat out_indicateurs",
          "millesime": "Millésime", "code_region": "Code région", "region": "Région",
          "code_departement": "Code département", "departement": "Département",
          "indicateur": "Code de l'indicateur", "libelle_indicateur": "Indicateur",
          "unite": "Unité", "type_siae": "Type de SIAE", "valeur": "Valeur",
          "statut": "Statut", "donnees_fictives": "Données fictives"}


def file_stem(departement: str, millesime: int) -> str:
    """``annexe4-26-2025``."""
    return f"annexe4-{departement}-{millesime}"


def annexe4_table(indicateurs: pd.DataFrame, *, departement: str, nom_departement: str,
                  code_region: str, nom_region: str, millesime: int, version_contrat: str,
                  donnees_fictives: bool) -> pd.DataFrame:
    """The fixed rows of one département, from the ``publique`` indicator rows."""
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & (indicateurs["niveau"] == "departement")
                       & (indicateurs["code"] == departement)
                       & (indicateurs["public"] == ENSEMBLE)]
    values = {(r.indicateur, r.type_siae): (r.valeur, r.statut)
              for r in rows.itertuples(index=False)}
    out = []
    for code in INDICATEURS:
        indicateur = BY_CODE[code]
        for kind in (ENSEMBLE, *TYPES_SIAE) if indicateur.par_type else (ENSEMBLE,):
            valeur, statut = values.get((code, kind), (math.nan, "nd"))
            if statut != "publie" or valeur is None or pd.isna(valeur):
                valeur, statut = math.nan, statut if statut != "publie" else "nd"
            out.append({"version_annexe4": VERSION, "version_contrat": version_contrat,
                        "millesime": millesime, "code_region": code_region,
                        "region": nom_region, "code_departement": departement,
                        "departement": nom_departement, "indicateur": code,
                        "libelle_indicateur": indicateur.libelle, "unite": indicateur.unite,
                        "type_siae": kind, "valeur": float(valeur), "statut": statut,
                        "donnees_fictives": "oui" if donnees_fictives else "non"})
    return pd.DataFrame(out, columns=list(COLUMNS))


def to_csv(table: pd.DataFrame) -> bytes:
    """``;``, decimal comma, UTF-8 with BOM, CRLF; no cell a spreadsheet could run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in table[list(COLUMNS)].to_dict("records"):
        writer.writerow([decimal_text(v) if k == "valeur" else protect_csv_text(str(v))
                         for k, v in record.items()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def from_csv(data: bytes) -> pd.DataFrame:
    """Read back an annexe 4 CSV (codes as text, decimal comma)."""
    text = data.decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    for column in frame.columns:
        frame[column] = frame[column].map(
            lambda v: v[1:] if v.startswith("'") and len(v) > 1 and v[1] in "=+-@\t\r" else v)
    frame["valeur"] = pd.to_numeric(frame["valeur"].str.replace(",", ".", regex=False)
                                    .replace("", None), errors="coerce").astype(float)
    return frame


def to_xlsx(table: pd.DataFrame, notice: str = "") -> bytes:
    """The same table as a workbook: a header row with filters, numbers as numbers."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Annexe 4"
    start = 1
    if notice:
        put(ws, 1, 1, notice)
        start = 3
    header_row(ws, start, [TITLES[c] for c in COLUMNS])
    line = start
    for record in table[list(COLUMNS)].to_dict("records"):
        line += 1
        for column, name in enumerate(COLUMNS, start=1):
            if name == "valeur":  # as in the CSV: empty unless published (see « statut »)
                cell = put(ws, line, column, record["valeur"], record["unite"])
                if record["unite"] == "€":
                    cell.number_format = '#,##0" €"'
            elif name == "millesime":
                put(ws, line, column, int(record[name]), "annee")
            else:
                put(ws, line, column, record[name])
    as_table(ws, start, list(COLUMNS), line,
             [10, 10, 10, 8, 24, 10, 20, 28, 44, 18, 10, 14, 8, 10])
    return workbook_bytes(wb)
