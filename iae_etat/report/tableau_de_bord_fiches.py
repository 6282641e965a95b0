"""The « Fiche … » sheets of ``tableau-de-bord.xlsx``: one per EPCI, printable on one page."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import LIBELLES_BESOINS
from iae_etat.common.vocabulary import ENSEMBLE
from iae_etat.report.tableau_de_bord_cellules import (
    BOLD,
    INDEX_FORMAT,
    KINDS,
    band_cell,
    cell_value,
    coverage_of,
    decode,
    format_of,
    french_key,
    french_rank,
    indicator_label,
    indicator_order,
    kind_label,
    unite_of,
    value_column,
    wide_table,
    write_header,
    write_title,
)
from iae_etat.report.xlsx_stream import (
    DEFAULT,
    Column,
    Formatted,
    Sheet,
    StreamWorkbook,
    format_columns,
)
from iae_etat.tables.sheets import sheet_name

# Long words of EPCI names, shortened in sheet names (31 characters at most).
SHORTER = ((r"\bCommunauté de communes\b", "CC"), (r"\bCommunauté d'agglomération\b", "CA"),
           (r"\bCommunauté urbaine\b", "CU"), (r"\bAgglomération\b", "Agglo"),
           (r"\bCommunauté\b", "Comm."), (r"\bMétropole\b", "Métro."))


def fiche_sheet_name(libelle: str, taken: set[str]) -> str:
    """« Fiche <EPCI> » within 31 characters, readable and unique: long words shortened, then
    the name cut between words and marked « … » (``sheet_name`` numbers a repeated name)."""
    room = 31 - len("Fiche ")
    name = libelle
    for pattern, short in SHORTER:
        if len(name) <= room:
            break
        name = re.sub(pattern, short, name)
    if len(name) > room:
        cut = name[:room]
        boundary = max(cut.rfind(" "), cut.rfind("-"))
        cut = cut[:boundary] if boundary >= room // 2 else cut[:room - 1]
        cut = re.sub(r"(\s+(de|des|du|en|et|la|le|les))+$", "", cut.rstrip(" -"))
        name = cut.rstrip(" -") + "…"
    return sheet_name(f"Fiche {name}", taken)


def fiche_sheets(wb: StreamWorkbook, taken: set[str], rows: pd.DataFrame, coverage: pd.DataFrame,
            territoires: pd.DataFrame, millesime: int, restreinte: bool) -> None:
    """A « fiche territoire » sheet per EPCI, sorted by name."""
    members = territoires.dropna(subset=["code_epci"])
    epci_of = dict(zip(members["code_commune"], members["code_epci"], strict=True))
    departement_of = dict(zip(members["code_epci"], members["code_departement"], strict=True))
    names = dict(zip(members["code_epci"], members["nom_epci"], strict=True))
    epci = decode(rows[(rows["niveau"] == "epci") & (rows["public"] == ENSEMBLE)])
    by_epci = {code: group for code, group in epci.groupby("code", sort=False, observed=True)}
    departements = rows[(rows["niveau"] == "departement") & (rows["type_siae"] == ENSEMBLE)
                        & (rows["public"] == ENSEMBLE)]
    dep = {(c, i): (v, s) for c, i, v, s in zip(
        departements["code"], departements["indicateur"],
        departements["valeur"].to_numpy(dtype=float, na_value=np.nan), departements["statut"],
        strict=True)}
    communes = rows[(rows["niveau"] == "commune") & (rows["type_siae"] == ENSEMBLE)
                    & (rows["public"] == ENSEMBLE)]
    commune_indicators = indicator_order(communes) if not communes.empty else []
    keys, values, statuts = wide_table(communes, ["code"], commune_indicators)
    ordered = keys.assign(_epci=keys["code"].map(epci_of), _tri=french_rank(keys["libelle"])) \
        .sort_values(["_tri", "code"])
    communes_by_epci = {code: ordered.index.to_numpy()[positions] for code, positions
                        in ordered.groupby("_epci", sort=False, observed=True).indices.items()}
    text = np.zeros(len(keys), dtype=np.int64)
    commune_table = format_columns([
        Column(1, keys["libelle"].to_numpy(object), text),
        Column(2, keys["code"].to_numpy(object), text),
        *[value_column(i + 3, values[:, i], statuts[:, i], restreinte,
                        format_of(unite_of(indicator)))
          for i, indicator in enumerate(commune_indicators)]])
    _, covered = coverage_of(coverage[coverage["niveau"] == "epci"])
    empty = rows.iloc[0:0]
    for code, libelle in sorted(names.items(), key=lambda item: (french_key(item[1]), item[0])):
        ws = wb.sheet(fiche_sheet_name(libelle, taken))
        _fiche(ws, code, libelle, by_epci.get(code, empty), departement_of[code], dep,
               {need: covered[(code, need)] for need in LIBELLES_BESOINS
                if (code, need) in covered},
               communes_by_epci.get(code, np.array([], dtype=int)), commune_table,
               commune_indicators, millesime, restreinte)


def _fiche(ws: Sheet, code: str, libelle: str, epci: pd.DataFrame, departement: str,
           dep: dict, coverage: dict, communes: np.ndarray, commune_table: Formatted,
           commune_indicators: list[str], millesime: int, restreinte: bool) -> None:
    """The « fiche territoire » of one EPCI; ``communes`` are its rows of ``commune_table``
    (the communes' indicators, formatted once for every fiche)."""
    line = write_title(ws, f"Fiche territoire — {libelle}", f"EPCI {code} — millésime {millesime}")
    indicators = indicator_order(epci)
    titles = ["Indicateur", *[kind_label(k) for k in KINDS], "Département (ensemble)"]
    write_header(ws, line, titles, freeze=False)
    values = {(i, k): (v, s) for i, k, v, s in zip(
        epci["indicateur"], epci["type_siae"],
        epci["valeur"].to_numpy(dtype=float, na_value=np.nan), epci["statut"], strict=True)}
    for indicator in indicators:
        line += 1
        unite = unite_of(indicator)
        cells = [(1, indicator_label(indicator), DEFAULT)]
        for column, kind in enumerate(KINDS, start=2):
            if (indicator, kind) in values:
                cells.append(cell_value(column, *values[(indicator, kind)], unite, restreinte))
        if (departement, indicator) in dep:
            cells.append(cell_value(len(KINDS) + 2, *dep[(departement, indicator)], unite,
                                restreinte))
        ws.write(line, cells)
    for need, (indice, band, statut) in coverage.items():
        line += 1
        name = LIBELLES_BESOINS[need]
        ws.write(line, [(1, f"Couverture des besoins — {name} (indice, classe)", DEFAULT),
                        cell_value(2, indice, statut, "", restreinte, INDEX_FORMAT),
                        band_cell(3, band, statut, restreinte)])
    line += 2
    ws.write(line, [(1, "Communes de l'EPCI (ensemble des SIAE)", BOLD)])
    line += 1
    if len(communes) == 0:
        commune_indicators = []
    write_header(ws, line, ["Commune", "Code", *[indicator_label(i) for i in commune_indicators]],
            freeze=False)
    ws.write_columns(line + 1, commune_table, communes)
    ws.freeze = "B5"
    ws.landscape = ws.fit_width = True
    ws.fit_height = 1  # a fiche prints on one page
    ws.widths = dict(enumerate([48, *[13] * len(KINDS), 16], start=1))

