"""``tableau-de-bord.xlsx``: the steering workbook of the DDETS and the Département (pure).

Sheets: « Lisez-moi » (reading guide, with the legend of the coverage bands), one sheet per
territory level with every indicator (a row per territory, type of SIAE and public, a column per
indicator, then the indice de couverture of each need and its band, coloured), « Données » (the
indicators in long form), a « fiche territoire » per EPCI, the evolution against earlier
millésimes, and — in ``restreinte`` diffusion only — the figures of each structure. In
``publique`` diffusion, a value under statistical secrecy is written ``s``. « Données »,
« Évolution » and « Communes » are also published as CSV, and only there when they are too long
for a workbook (``tableau_de_bord_csv``). The workbook is streamed (``xlsx_stream``).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import BANDES
from iae_etat.analyse.couverture import COLUMNS as COVERAGE_COLUMNS
from iae_etat.common.indicators import BY_CODE, CATALOGUE
from iae_etat.common.vocabulary import ENSEMBLE, LEVEL_LABELS, LEVELS
from iae_etat.report.tableau_de_bord_cellules import (
    BAND_FILLS,
    BIG_TITLE,
    INDEX_FORMAT,
    SHORT_NEEDS,
    Column,
    absent_kinds,
    as_categorical,
    band_column,
    coverage_of,
    finish_table,
    format_of,
    french_rank,
    in_order,
    indicator_label,
    indicator_order,
    kind_label,
    kind_rank,
    labelled,
    level_rank,
    number_style,
    per_value,
    present_rows,
    public_label,
    stable_order,
    statut_codes,
    unite_of,
    value_column,
    wide_table,
    write_header,
    write_title,
)
from iae_etat.report.tableau_de_bord_csv import (
    CSV_NAMES,
    WORKBOOK_ROWS_MAX,
    CsvSink,
    LongTable,
    csv_pieces,
    elsewhere,
)
from iae_etat.report.tableau_de_bord_donnees import donnees_table
from iae_etat.report.tableau_de_bord_fiches import fiche_sheets
from iae_etat.report.xlsx_stream import DEFAULT, Sheet, StreamWorkbook, Style, format_columns
from iae_etat.tables.formats import RATE_GAP, nombre
from iae_etat.tables.sheets import NUMBER_FORMATS, missing, sheet_name

__all__ = ["BAND_FILLS", "NAME", "build_dashboard"]

NAME = "tableau-de-bord.xlsx"
LEVEL_SHEETS = {"departement": "Départements", "arrondissement": "Arrondissements",
                "epci": "EPCI", "zone_emploi": "Zones d'emploi", "clpe": "CLPE",
                "commune": "Communes"}
STRUCTURE_COLUMNS = (("siret", "SIRET"), ("type_siae", "Type de SIAE"),
                     ("denomination", "Dénomination"), ("code_commune", "Commune (code)"),
                     ("nom_commune", "Commune"), ("a_repondu", "Questionnaire reçu"),
                     ("etp_conventionnes", "ETP conventionnés"),
                     ("etp_realises", "ETP réalisés"),
                     ("salaries_annee", "Salariés en insertion sur l'année"))
README_WIDTH = 88  # characters on a line of « Lisez-moi »


def build_dashboard(indicateurs: pd.DataFrame, evolution: pd.DataFrame,
                    structures: pd.DataFrame, territoires: pd.DataFrame,
                    couverture: pd.DataFrame | None = None, *, territoire: str,
                    millesime: int, diffusion: str, notice: str = "",
                    secret_rule: str = "", alerte: str = "",
                    csv: CsvSink | None = None) -> bytes:
    """The workbook's bytes (deterministic: same tables, same bytes); ``alerte`` is the
    low-response banner, first of the « Lisez-moi » sheet. The long tables go to ``csv`` too,
    as they are made (``CSV_NAMES``)."""
    rows = _of_diffusion(indicateurs, diffusion)
    coverage = _of_diffusion(couverture, diffusion) \
        if couverture is not None else pd.DataFrame(columns=COVERAGE_COLUMNS)
    restreinte = diffusion == "restreinte"
    absent = absent_kinds(rows)

    wb = StreamWorkbook()
    taken: set[str] = set()
    _readme(wb.sheet(sheet_name("Lisez-moi", taken)), territoire, millesime, diffusion,
            notice, secret_rule, alerte)
    present = present_rows(rows, absent)
    for level in LEVELS:
        at_level = (rows["niveau"] == level).to_numpy()
        if at_level.any():
            # the indicators of the level, then its rows kept, copied once (a national table
            # of the communes has millions of rows)
            indicators = indicator_order(rows.loc[at_level, ["indicateur"]])
            _place(wb, taken, _level_table(level, rows[at_level & present], indicators,
                                           coverage[coverage["niveau"] == level], millesime,
                                           restreinte), csv)
    _place(wb, taken, donnees_table(_kept(rows, present), millesime, restreinte), csv)
    if "code_epci" in territoires.columns:
        fiche_sheets(wb, taken, rows, coverage, territoires, millesime, restreinte)
    _place(wb, taken, _evolution_table(_of_diffusion(evolution, diffusion), absent, millesime,
                                       restreinte), csv)
    if restreinte:
        _structures_sheet(wb.sheet(sheet_name("Structures", taken)), structures, territoires,
                          millesime)
    return wb.to_bytes()


def _of_diffusion(table: pd.DataFrame, diffusion: str) -> pd.DataFrame:
    """The rows of ``table`` of ``diffusion``: the table itself when it holds no other (a
    national table of millions of rows is not copied)."""
    return _kept(table, (table["diffusion"] == diffusion).to_numpy())


def _kept(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The ``rows`` (a mask) of ``table``: the table itself, not a copy, when they all are."""
    return table if rows.all() else table[rows]


def _readme(ws: Sheet, territoire: str, millesime: int, diffusion: str, notice: str,
            secret_rule: str, alerte: str = "") -> None:
    lines = [f"Tableau de bord de l'offre d'insertion — {territoire} — millésime {millesime}", ""]
    if alerte:
        lines += [alerte, ""]
    if notice:
        lines += [f"{notice} : les structures, les réponses et les statistiques sont inventées ; "
                  "seule la géographie est réelle.", ""]
    if diffusion == "restreinte":
        lines += ["DIFFUSION RESTREINTE : ce classeur contient des valeurs non soumises au secret "
                  "statistique et les chiffres de chaque structure. Réservé au comité de pilotage "
                  "restreint ; ne pas diffuser.",
                  "Les valeurs sur fond gris seraient remplacées par « s » en diffusion publique.",
                  ""]
    else:
        lines += ["Diffusion publique : les valeurs soumises au secret statistique sont "
                  "remplacées par « s ».", ""]
        if secret_rule:
            lines += [secret_rule, ""]
    lines += ["Onglets :",
              "– un onglet par niveau de territoire : une ligne par territoire, type de SIAE et "
              "public, une colonne par indicateur, puis l'indice de couverture de chaque besoin "
              "et sa classe (filtres sur la ligne d'en-tête) ;",
              "– « Données » : les mêmes indicateurs en colonnes (une ligne par territoire, "
              "indicateur, type de SIAE et public, avec leurs libellés) pour les tableaux "
              "croisés dynamiques ;",
              "– « Fiche … » : la fiche de chaque EPCI (indicateurs par type de SIAE, comparaison "
              "avec le département, couverture des besoins, communes) ;",
              "– « Évolution » : chaque indicateur comparé aux millésimes précédents du projet."]
    if diffusion == "restreinte":
        lines.append("– « Structures » : les chiffres déclarés par chaque SIAE.")
    lines += ["",
              "« Données », « Évolution » et « Communes » sont aussi publiés en CSV à côté de ce "
              "classeur (tableau-de-bord-donnees.csv, tableau-de-bord-evolution.csv, "
              "tableau-de-bord-communes.csv : séparateur « ; », virgule décimale, UTF-8). Au-delà "
              f"de {nombre(WORKBOOK_ROWS_MAX)} lignes, ils ne sont publiés qu'en CSV : un "
              "classeur de plusieurs millions de lignes ne s'ouvre pas dans un tableur.",
              ""]
    lines += ["Symboles : « s » secret statistique ; « nd » donnée non disponible.", ""]
    cells = [(line, BIG_TITLE if row == 1 else DEFAULT) for row, line in enumerate(lines, 1)]
    cells.append(("Couverture des besoins : classes de l'indice de couverture (part du besoin / "
                  "(part du besoin + part de l'offre)), colorées dans les onglets par niveau et "
                  "les fiches ; le nom de la classe est écrit dans la cellule.", DEFAULT))
    cells += [(text, Style(fill=BAND_FILLS[band])) for band, text in _band_legend()]
    cells += [("", DEFAULT),
              ("Les définitions et formules des indicateurs figurent dans l'annexe "
               "méthodologique, dans les annexes du rapport (annexes.html).", DEFAULT),
              ("", DEFAULT), ("Indicateurs :", DEFAULT)]
    cells += [(f"– {i.libelle} ({i.unite}) : {i.formule}.", DEFAULT) for i in CATALOGUE]
    # Each text cut into rows of README_WIDTH characters at most: neither the screen nor the
    # printed page (one page wide) cuts a line, whatever the spreadsheet does with row heights.
    row = 0
    for text, style in cells:
        for piece in _lines(text, README_WIDTH):
            row += 1
            if piece:
                ws.write(row, [(1, piece, style)])
    ws.widths = {1: README_WIDTH + 6}  # a little room for the wide letters
    ws.fit_width = True


def _lines(text: str, width: int) -> list[str]:
    """``text`` cut into lines of ``width`` characters at most, never between a French
    punctuation mark and the space before it (« s », « : »); an item (« – ») indented."""
    bound = text.replace("« ", "«\xa0")
    for mark in "»:;!?":
        bound = bound.replace(f" {mark}", f"\xa0{mark}")
    pieces = textwrap.wrap(bound, width, break_on_hyphens=False,
                           subsequent_indent="  " if text.startswith("– ") else "")
    return [piece.replace("\xa0", " ") for piece in pieces] or [""]


def _band_legend() -> list[tuple[str, str]]:
    """(band, legend line), from the least to the best covered."""
    legend, upper = [], None
    for lower, band in BANDES:
        low = nombre(lower, 1)
        high = nombre(upper, 1) if upper is not None else "1"
        text = f"moins de {high}" if lower == -np.inf else f"de {low} à {high}"
        legend.append((band, f"{band} : indice {text}"))
        upper = lower
    return legend

def _place(wb: StreamWorkbook, taken: set[str], table: LongTable, csv: CsvSink | None) -> None:
    """The table's sheet — or, past ``WORKBOOK_ROWS_MAX`` rows, where its CSV is — and its CSV
    when it has one (a table in its CSV only is made a part at a time)."""
    ws = wb.sheet(sheet_name(table.sheet, taken))
    start = write_title(ws, table.title, table.subtitle)
    if table.rows > WORKBOOK_ROWS_MAX and table.sheet in CSV_NAMES:
        if csv is not None:
            csv(CSV_NAMES[table.sheet], csv_pieces(table.titles, table.parts()))
        elsewhere(ws, start, table.rows, table.sheet)
        return
    columns = table.cells(0, table.rows)
    if csv is not None and table.sheet in CSV_NAMES:
        csv(CSV_NAMES[table.sheet], csv_pieces(table.titles, [columns]))
    if not table.rows and table.empty:
        ws.write(start, [(1, table.empty, DEFAULT)])
        ws.widths = {1: 120}
        return
    write_header(ws, start, table.titles)
    if table.rows:
        ws.write_columns(start + 1, format_columns(columns))
    finish_table(ws, start, table.titles, start + table.rows, table.widths)


def _level_table(level: str, rows: pd.DataFrame, indicators: list[str], coverage: pd.DataFrame,
                 millesime: int, restreinte: bool) -> LongTable:
    """The sheet of a level: ``rows`` are its rows present (``present_rows``), ``indicators``
    those of all its rows, in order."""
    needs, covered = coverage_of(coverage)
    titles = ["Code", LEVEL_LABELS[level], "Type de SIAE", "Public",
              *[indicator_label(i) for i in indicators]]
    for need in needs:
        titles += [f"Indice de couverture ({SHORT_NEEDS.get(need, need)})",
                   f"Couverture ({SHORT_NEEDS.get(need, need)})"]
    keys, values, statuts = wide_table(rows, ["niveau", "code", "type_siae", "public"], indicators)
    order = stable_order([french_rank(keys["libelle"]), keys["code"].array,
                          kind_rank(keys["type_siae"]),
                          (keys["public"] != ENSEMBLE).to_numpy(),  # all publics, then each
                          keys["public"].array], len(keys))
    keys, values, statuts = keys.iloc[order], values[order], statuts[order]

    def cells(start: int, stop: int) -> list[Column]:
        part = keys.iloc[start:stop]
        codes, kinds = part["code"].to_numpy(object), part["type_siae"].to_numpy(object)
        publics = part["public"].to_numpy(object)
        text = np.zeros(len(part), dtype=np.int64)
        columns = [Column(1, codes, text), Column(2, part["libelle"].to_numpy(object), text),
                   Column(3, np.where(kinds == ENSEMBLE, kind_label(ENSEMBLE), kinds), text),
                   Column(4, np.array([public_label(p) for p in publics], dtype=object), text)]
        columns += [value_column(i + 5, values[start:stop, i], statuts[start:stop, i],
                                 restreinte, format_of(unite_of(indicator)))
                    for i, indicator in enumerate(indicators)]
        everyone = (kinds == ENSEMBLE) & (publics == ENSEMBLE)
        first_need = 5 + len(indicators)
        for n, need in enumerate(needs):
            found = [covered.get((code, need)) if all_rows else None
                     for code, all_rows in zip(codes, everyone, strict=True)]
            indices = np.array([np.nan if f is None else f[0] for f in found], dtype=float)
            bands = np.array([None if f is None else f[1] for f in found], dtype=object)
            need_statuts = statut_codes(["" if f is None else f[2] for f in found])
            columns += [value_column(first_need + 2 * n, indices, need_statuts, restreinte,
                                     INDEX_FORMAT),
                        band_column(first_need + 2 * n + 1, bands, need_statuts, restreinte)]
        return columns

    return LongTable(
        LEVEL_SHEETS[level], f"Indicateurs — {LEVEL_SHEETS[level]} — millésime {millesime}",
        "Une ligne par territoire (ensemble des SIAE), par type de SIAE présent et par public ; "
        "« s » secret statistique, « nd » non disponible ; couverture des besoins colorée par "
        "classe (légende dans « Lisez-moi »).", titles, len(keys), cells,
        [12, 34, 12, 10, *[18] * len(indicators), *[14] * (2 * len(needs))])


EVOLUTION_TITLES = ["Niveau", "Code", "Territoire", "Indicateur", "Type de SIAE", "Public",
                    "Millésime de référence", "Valeur de référence", "Valeur", "Écart",
                    "Évolution (%)", "Rupture de série"]


def _evolution_table(evolution: pd.DataFrame, absent: pd.MultiIndex, millesime: int,
                     restreinte: bool) -> LongTable:
    """« Évolution »: each indicator against each earlier millésime, above the communes."""
    evolution = _kept(evolution, (evolution["niveau"] != "commune").to_numpy())
    evolution = _kept(evolution, present_rows(evolution, absent))
    if "rupture" not in evolution.columns:  # a table built before the breaks were declared
        evolution = evolution.assign(rupture="")
    data = in_order(evolution, {
        "_level": level_rank(evolution["niveau"]), "_tri": french_rank(evolution["libelle"]),
        **{c: evolution[c].array for c in ("code", "indicateur")},
        "_kind": kind_rank(evolution["type_siae"]),
        **{c: evolution[c].array for c in ("public", "millesime_reference")}})

    def cells(start: int, stop: int) -> list[Column]:
        return _evolution_columns(data.iloc[start:stop], restreinte)

    titles = [*EVOLUTION_TITLES[:8], f"Valeur {millesime}", *EVOLUTION_TITLES[9:]]
    return LongTable("Évolution", f"Évolution des indicateurs — millésime {millesime}",
                     "Chaque indicateur comparé à sa valeur dans les millésimes précédents "
                     "construits dans le projet, pour les types de SIAE présents (niveau "
                     "communal : table out_evolution).", titles, len(data), cells,
                     [14, 12, 30, 40, 12, 10, 12, 14, 14, 12, 12, 60],
                     empty="Aucun millésime précédent n'a été construit dans ce projet : "
                           "lancez « iae-etat build --all » pour comparer les millésimes.")


def _evolution_columns(data: pd.DataFrame, restreinte: bool) -> list[Column]:
    """The cells of rows of « Évolution » (``data``: rows of ``out_evolution``, in order)."""
    known = per_value(data["indicateur"], BY_CODE.__contains__, bool)
    # the unit of the catalogue, else the table's (an indicator the catalogue no longer has)
    unites = labelled(data["indicateur"], unite_of) if known.all() else pd.Categorical(
        np.where(known, per_value(data["indicateur"], unite_of),
                 data["unite"].astype(object).fillna("")).astype(str))
    formats = labelled(pd.Series(unites), format_of)
    gap_formats = labelled(pd.Series(unites), lambda u: format_of(RATE_GAP.get(u, u)))
    statuts = statut_codes(data["statut"])  # a missing statut: publie
    text = np.zeros(len(data), dtype=np.int64)

    def numbers(column: str) -> np.ndarray:
        return data[column].to_numpy(dtype=float, na_value=np.nan)

    return [
        Column(1, labelled(data["niveau"], lambda n: LEVEL_LABELS.get(n, n)), text),
        Column(2, as_categorical(data["code"]), text),
        Column(3, as_categorical(data["libelle"]), text),
        Column(4, labelled(data["indicateur"], indicator_label), text),
        Column(5, labelled(data["type_siae"], kind_label), text),
        Column(6, labelled(data["public"], public_label), text),
        Column(7, data["millesime_reference"].astype(int).to_numpy(dtype=object), text,
               (number_style(NUMBER_FORMATS["annee"]),)),
        value_column(8, numbers("valeur_reference"), statuts, restreinte, formats),
        value_column(9, numbers("valeur"), statuts, restreinte, formats),
        value_column(10, numbers("ecart"), statuts, restreinte, gap_formats),
        value_column(11, numbers("ecart_pct"), statuts, restreinte, format_of("%")),
        Column(12, labelled(data["rupture"], str), text)]


def _structures_sheet(ws: Sheet, structures: pd.DataFrame, territoires: pd.DataFrame,
                      millesime: int) -> None:
    start = write_title(ws, f"Chiffres par structure — millésime {millesime}",
                   "Diffusion restreinte : données déclarées par chaque SIAE, non soumises au "
                   "secret statistique. Ne pas diffuser.")
    names = territoires.set_index("code_commune")["nom_commune"]
    data = structures.assign(nom_commune=structures["code_commune"].map(names))
    data = data.sort_values(["denomination", "siret", "type_siae"])
    titles = [label for _, label in STRUCTURE_COLUMNS]
    write_header(ws, start, titles)
    line = start
    for record in data.to_dict("records"):
        line += 1
        cells = []
        for column, (field, _) in enumerate(STRUCTURE_COLUMNS, start=1):
            value = record.get(field)
            if missing(value):
                continue
            if field == "salaries_annee":
                cells.append((column, int(value), number_style(NUMBER_FORMATS["personnes"])))
            elif field in ("etp_conventionnes", "etp_realises"):
                cells.append((column, float(value), number_style(format_of(""))))
            else:
                cells.append((column, bool(value) if field == "a_repondu" else value, DEFAULT))
        ws.write(line, cells)
    finish_table(ws, start, titles, line, [16, 12, 40, 12, 28, 12, 14, 14, 16])
