"""Returned questionnaires built by code for the questionnaire tests: valid, damaged, hostile."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from iae_etat.common.vocabulary import QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.tables.contracts import load_contract

MILLESIME = 2025
SIRET = "05154382993210"  # a leading zero, as in real life
KIND = "ETTI"
KNOWN = {(SIRET, KIND), ("21236360824457", "ACI")}
EPCIS = [("200040491", "CC Porte de Dromardèche"), ("242600534", "CC du Diois")]

# A coherent, complete return: every « dont » within its total, sorties that add up.
VALID = {
    "siret": SIRET, "type_siae": KIND, "denomination": "Passerelle Intérim (fictive)",
    "code_commune_siege": "26281", "communes_sites": "26281 ; 26362",
    "etp_conventionnes": 20.5, "etp_realises": 19.8, "aide_au_poste": 91307,
    "salaries_annee": 60, "salaries_31_12": 30, "femmes": 25, "hommes": 35,
    "age_moins_26": 12, "age_26_49": 36, "age_50_plus": 12,
    "brsa": 20, "ass": 3, "aah": 2, "rqth": 6, "deld": 12, "detld": 14, "residents_qpv": 9,
    "residents_frr": 4, "niveau_infra_cap": 24, "niveau_cap_bep": 18, "niveau_non_certifiant": 8,
    "femmes_31_12": 12, "hommes_31_12": 18, "age_moins_26_31_12": 6, "age_26_49_31_12": 18,
    "age_50_plus_31_12": 6, "brsa_31_12": 10, "rqth_31_12": 3, "detld_31_12": 7,
    "residents_qpv_31_12": 4, "niveau_infra_cap_31_12": 12,
    "entrees": 30, "entrees_brsa": 9, "sorties": 28, "sorties_durables": 6,
    "sorties_transition": 7, "sorties_positives": 3, "sorties_autres": 10,
    "sorties_retraits": 2, "heures_accompagnement": 2400.5, "heures_formation": 1500,
    "actions_formation": 40, "freins_traites": 75, "etp_encadrement_technique": 2.5,
    "etp_accompagnement": 1.2, "etp_direction": 1, "benevoles": 6,
    "secteur_principal": "Nettoyage et propreté", "secteur_secondaire": "Restauration",
    "chiffre_affaires": 640000, "subvention_etat": 95000, "subvention_departement": 30000,
    "subvention_region": 5000, "subvention_communes": 2000, "subvention_fse": 0,
    "subvention_autres": 1000, "entreprises_partenaires": 18,
    "partenariats": "Agences d'intérim du bassin, France Travail.",
    "bonnes_pratiques": "Petit-déjeuner mensuel avec les employeurs.",
}
RESIDENCE = {"200040491": 40, "242600534": 15, "hors": 5}


def contracts():
    return load_contract(QUESTIONNAIRES), load_contract(QUESTIONNAIRES_RESIDENCE)


def workbook(answers: dict | None = None, millesime: int = MILLESIME,
             residence: dict | None = None) -> bytes:
    contract, residence_contract = contracts()
    return build_workbook(contract, millesime, VALID if answers is None else answers,
                          residence_contract=residence_contract, epcis=EPCIS,
                          residence=RESIDENCE if residence is None else residence)


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def rewrite_zip(data: bytes, replace: dict[str, bytes] | None = None,
                add: dict[str, bytes] | None = None) -> bytes:
    """A copy of an xlsx zip with some entries replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename,
                                                            src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def edit(data: bytes, change) -> bytes:
    """The workbook after ``change(openpyxl_workbook)``, saved as a spreadsheet would."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    change(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sheets_of(data: bytes) -> dict[str, list[list]]:
    """Every sheet of an xlsx as calamine reads it (values only)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def ods_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A minimal OpenDocument spreadsheet holding ``sheets`` (strings and numbers)."""
    tables = []
    for name, rows in sheets.items():
        body = []
        for row in rows:
            cells = []
            for value in row:
                if value is None or value == "":
                    cells.append("<table:table-cell/>")
                elif isinstance(value, bool | str):
                    cells.append('<table:table-cell office:value-type="string"><text:p>'
                                 f"{escape(str(value))}</text:p></table:table-cell>")
                else:
                    cells.append(f'<table:table-cell office:value-type="float" '
                                 f'office:value="{value}"><text:p>{value}</text:p>'
                                 "</table:table-cell>")
            body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        tables.append(f'<table:table table:name="{escape(name, {chr(34): "&quot;"})}">'
                      f"{''.join(body)}</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet>"
        "</office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
