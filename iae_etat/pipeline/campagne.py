"""The questionnaire campaign of a millésime: where each SIAE stands, whom to chase, with what.

Read from the raw files as ``check`` reads them (nothing built is needed, nothing of
``data/processed/`` is written). Each SIAE of the list is in one state:

- ``accepté``: its return is kept without error;
- ``à corriger``: its return is kept with errors, or set aside (identification, wrong
  millésime…): it gets its annotated workbook (``controles/retours/``, written by ``build``);
- ``envoyé``: no return yet, its questionnaire is prepared (``questionnaires/``);
- ``manquant``: no return and no questionnaire prepared (``iae-etat questionnaire``).

The SIAE to chase are those of the last three states; their list (``relances.xlsx``, ``.csv``)
carries the contacts the SIAE list gives, and the mail-merge file (``publipostage.csv``) the
attachment and the deadline of ``[campagne] echeance``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from iae_etat.project.config import Projet
from iae_etat.tables.files import write_bytes
from iae_etat.tables.xlsx import protect_csv_text, set_cell, workbook_bytes

ACCEPTE, A_CORRIGER, ENVOYE, MANQUANT = "accepté", "à corriger", "envoyé", "manquant"
ETATS = (ACCEPTE, A_CORRIGER, ENVOYE, MANQUANT)
A_RELANCER = (A_CORRIGER, ENVOYE, MANQUANT)
MOTIFS = {A_CORRIGER: "Corrections demandées sur votre questionnaire",
          ENVOYE: "Questionnaire annuel à renvoyer",
          MANQUANT: "Questionnaire annuel à renvoyer"}
COLUMNS = ["siret", "type_siae", "denomination", "etat", "fichier_recu", "erreurs",
           "courriel", "telephone", "piece_jointe", "piece_jointe_presente", "echeance"]
TITLES = {"siret": "SIRET", "type_siae": "Type", "denomination": "Dénomination",
          "etat": "État", "fichier_recu": "Fichier reçu", "erreurs": "Erreurs",
          "courriel": "Courriel", "telephone": "Téléphone", "piece_jointe": "Pièce jointe",
          "piece_jointe_presente": "Pièce jointe prête", "echeance": "Échéance"}
MAILING = {"siret": "siret", "denomination": "denomination", "courriel": "courriel",
           "piece_jointe": "piece_jointe", "echeance": "echeance", "motif": "objet",
           "type_siae": "type_siae", "etat": "etat"}


def campaign_table(projet: Projet, millesime: int, collecte: pd.DataFrame,
                   contacts: pd.DataFrame, echeance: str,
                   liste: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per SIAE of the list ``liste`` (``raw_structures``; without a list, per SIAE
    that returned a questionnaire): its state, its contacts, the file to attach to its reminder
    (pure apart from looking which attachments exist). A return from a SIAE outside the list
    is the consultant's to judge (``iae-etat check``), not a reminder."""
    rows = []
    by_siae = collecte[collecte["siret"].notna()]
    if liste is not None:
        listed = pd.MultiIndex.from_frame(liste[["siret", "type_siae"]])
        by_siae = by_siae[pd.MultiIndex.from_frame(by_siae[["siret", "type_siae"]])
                          .isin(listed)]
    twins = set(by_siae.drop_duplicates(["siret", "type_siae"])["siret"]
                .pipe(lambda s: s[s.duplicated()]))
    reports = projet.reports_dir(millesime)
    for (siret, kind), group in by_siae.groupby(["siret", "type_siae"], sort=True):
        kept = group[group["statut"] == "retenu"]
        aside = group[group["statut"] == "ecarte"]
        name = f"{siret}_{kind}.xlsx" if siret in twins else f"{siret}.xlsx"
        if not kept.empty:
            row = kept.iloc[0]
            etat = ACCEPTE if int(row["erreurs"]) == 0 else A_CORRIGER
        elif not aside.empty:
            row, etat = aside.sort_values("fichier").iloc[-1], A_CORRIGER
        else:
            row = group.iloc[0]
            etat = ENVOYE if (reports / "questionnaires" / name).is_file() else MANQUANT
        # a return to correct gets its annotated workbook; one the SIAE cannot correct (sent
        # for another millésime, an old model…) the questionnaire of the year
        annotated = reports / "controles" / "retours" / name
        attachment = {A_CORRIGER: annotated if annotated.is_file() or aside.empty
                      else reports / "questionnaires" / name,
                      ENVOYE: reports / "questionnaires" / name,
                      MANQUANT: reports / "questionnaires" / name}.get(etat)
        rows.append({"siret": siret, "type_siae": kind,
                     "denomination": row["denomination"] if pd.notna(row["denomination"])
                     else "", "etat": etat,
                     "fichier_recu": row["fichier"] if etat in (ACCEPTE, A_CORRIGER) else "",
                     "erreurs": int(row["erreurs"]) if etat in (ACCEPTE, A_CORRIGER) else 0,
                     "piece_jointe": attachment.relative_to(projet.dir).as_posix()
                     if attachment else "",
                     "piece_jointe_presente": "oui" if attachment and attachment.is_file()
                     else ("non" if attachment else ""),
                     "echeance": echeance if etat in A_RELANCER else ""})
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("courriel",
                                                                          "telephone")])
    table = table.merge(contacts[["siret", "type_siae", "courriel", "telephone"]],
                        on=["siret", "type_siae"], how="left")
    table[["courriel", "telephone"]] = table[["courriel", "telephone"]].fillna("")
    return table[COLUMNS].reset_index(drop=True)


def relances(table: pd.DataFrame) -> pd.DataFrame:
    """The SIAE to chase, those to correct first."""
    chase = table[table["etat"].isin(A_RELANCER)].copy()
    chase["_rang"] = chase["etat"].map({e: i for i, e in enumerate(A_RELANCER)})
    return chase.sort_values(["_rang", "siret", "type_siae"]).drop(columns="_rang") \
        .reset_index(drop=True)


def csv_bytes(table: pd.DataFrame, titles: dict[str, str]) -> bytes:
    """``;``, UTF-8 with BOM (Excel, LibreOffice and mail-merge tools read it), no formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(titles.values()))
    for values in table[list(titles)].fillna("").astype(str).itertuples(index=False):
        writer.writerow([protect_csv_text(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def mailing(table: pd.DataFrame) -> pd.DataFrame:
    """The mail-merge rows: one per SIAE to chase, with its subject line."""
    chase = relances(table)
    return chase.assign(motif=chase["etat"].map(MOTIFS))


def relances_xlsx(table: pd.DataFrame, millesime: int, echeance: str, notice: str) -> bytes:
    """The reminder list as a workbook: a title line, then one filtered row per SIAE."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Relances"
    title = f"Questionnaires {millesime} : {len(table)} SIAE à relancer"
    title += f" (échéance : {echeance})" if echeance else ""
    lines = [title, notice] if notice else [title]
    for r, line in enumerate(lines, start=1):
        set_cell(ws.cell(row=r, column=1), line)
        ws.cell(row=r, column=1).font = Font(bold=True)
    top = len(lines) + 1
    for col, (key, label) in enumerate(TITLES.items(), start=1):
        set_cell(ws.cell(row=top, column=col), label)
        ws.cell(row=top, column=col).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = \
            {"denomination": 36, "piece_jointe": 52, "courriel": 30, "fichier_recu": 44}.get(
                key, 14)
    for r, values in enumerate(table[list(TITLES)].itertuples(index=False), start=top + 1):
        for col, value in enumerate(values, start=1):
            set_cell(ws.cell(row=r, column=col), value)
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(TITLES))}{top + max(len(table), 1)}"
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    return workbook_bytes(wb)


def write_campaign(folder: Path, table: pd.DataFrame, millesime: int, echeance: str,
                   notice: str) -> list[Path]:
    """``relances.xlsx``, ``relances.csv`` and ``publipostage.csv`` in ``folder``."""
    chase = relances(table)
    outputs = {"relances.xlsx": relances_xlsx(chase, millesime, echeance, notice),
               "relances.csv": csv_bytes(chase, TITLES),
               "publipostage.csv": csv_bytes(mailing(table), MAILING)}
    for name, data in outputs.items():
        write_bytes(folder / name, data)
    return [folder / name for name in outputs]
