"""``tableau-de-bord.xlsx``: the steering workbook of the DDETS and the Département (pure).

Sheets: « Lisez-moi » (reading guide, with the legend of the coverage bands), one sheet per
territory level with every indicator (a row per territory, type of SIAE and public, a column per
indicator, then the indice de couverture of each need and its band, coloured), a « fiche
territoire » per EPCI, the evolution against earlier millésimes, and — in ``restreinte`` diffusion
only — the figures of each structure. In ``publique`` diffusion, a value under statistical secrecy
is written ``s``. The workbook is streamed (``flux_xlsx``): a national scope writes millions of
cells.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import BANDES, LIBELLES_BESOINS
from iae_etat.analyse.couverture import COLUMNS as COVERAGE_COLUMNS
from iae_etat.common.indicators import BY_CODE, CATALOGUE
from iae_etat.common.vocabulary import ENSEMBLE, LEVEL_LABELS, LEVELS, TYPES_SIAE
from iae_etat.report.xlsx_stream import (
    DEFAULT,
    MAX_ROWS,
    Column,
    Formatted,
    Sheet,
    StreamWorkbook,
    Style,
    column_letter,
    format_columns,
)
from iae_etat.tables.formats import MISSING_SYMBOL, RATE_GAP, SECRET_SYMBOL, nombre
from iae_etat.tables.sheets import (
    DEFAULT_NUMBER_FORMAT,
    HEADER_FILL,
    NUMBER_FORMATS,
    SECRET_FILL,
    missing,
    sheet_name,
)

NAME = "tableau-de-bord.xlsx"
LEVEL_SHEETS = {"departement": "Départements", "arrondissement": "Arrondissements",
                "epci": "EPCI", "zone_emploi": "Zones d'emploi", "clpe": "CLPE",
                "commune": "Communes"}
KINDS = (ENSEMBLE, *TYPES_SIAE)
STRUCTURE_COLUMNS = (("siret", "SIRET"), ("type_siae", "Type de SIAE"),
                     ("denomination", "Dénomination"), ("code_commune", "Commune (code)"),
                     ("nom_commune", "Commune"), ("a_repondu", "Questionnaire reçu"),
                     ("etp_conventionnes", "ETP conventionnés"),
                     ("etp_realises", "ETP réalisés"),
                     ("salaries_annee", "Salariés en insertion sur l'année"))
# A fill per band of the indice de couverture, from the least to the best covered; the band's
# name is always written in the cell, so the sheet reads in black and white too.
BAND_FILLS = {"très faible": "E4794A", "faible": "F3B27A", "intermédiaire": "FCE49A",
              "bonne": "B9DFA1", "très bonne": "6DBE7A"}
SHORT_NEEDS = {"de_abc": "DE ABC", "foyers_rsa": "foyers RSA"}
TITLE = Style(bold=True, size=13, color="000091")
BIG_TITLE = Style(bold=True, size=14, color="000091")
SUBTITLE = Style(italic=True)
HEADER = Style(bold=True, fill=HEADER_FILL, wrap=True)
BOLD = Style(bold=True)
INDEX_FORMAT = "0.00"
NO_CELL, SECRET, NOT_AVAILABLE, PUBLISHED = range(4)  # _statut_codes


def _label(code: str) -> str:
    indicateur = BY_CODE.get(code)
    return f"{indicateur.libelle} ({indicateur.unite})" if indicateur else code


def _unite(code: str) -> str:
    return BY_CODE[code].unite if code in BY_CODE else ""


@cache
def _number_style(number_format: str, secret: bool = False) -> Style:
    return Style(number_format=number_format, fill=SECRET_FILL if secret else "")


def _value(column: int, value, statut: str, unite: str, restreinte: bool,
           number_format: str | None = None) -> tuple:
    """A published figure: the number, or ``s`` (secret) / ``nd`` (not available).

    In ``restreinte`` diffusion a value under secrecy is shown, on a grey background.
    """
    absent = missing(value)
    if statut == "s" and (absent or not restreinte):
        return column, SECRET_SYMBOL, DEFAULT
    if statut == "nd" or absent:
        return column, MISSING_SYMBOL, DEFAULT
    number_format = number_format or NUMBER_FORMATS.get(unite, DEFAULT_NUMBER_FORMAT)
    return column, float(value), _number_style(number_format, statut == "s")


def _statut_codes(statuts) -> np.ndarray:
    """``NO_CELL`` (empty statut), ``SECRET`` (``s``), ``NOT_AVAILABLE`` (``nd``), else
    ``PUBLISHED``, for each statut (arrays of codes compare far faster than of texts)."""
    statuts = pd.Series(statuts, copy=False)
    return np.select([(statuts == s).to_numpy(dtype=bool, na_value=False)
                      for s in ("", SECRET_SYMBOL, MISSING_SYMBOL)],
                     [NO_CELL, SECRET, NOT_AVAILABLE], PUBLISHED).astype(np.int8)


def _value_column(column: int, values: np.ndarray, statuts: np.ndarray, restreinte: bool,
                  number_format: str) -> Column:
    """``_value`` of each cell of a column (``_statut_codes``); ``NO_CELL`` leaves it out."""
    absent = np.isnan(values)
    secret = (statuts == SECRET) & (absent | (not restreinte))
    symbol = secret | ((statuts == NOT_AVAILABLE) | absent)
    numbers, number_of = np.unique(values[~symbol], return_inverse=True)
    shown = np.where(secret, 0, 1)  # categories: the two symbols, then the numbers
    shown[~symbol] = number_of.reshape(-1) + 2
    codes = np.where(symbol, 0, np.where(statuts == SECRET, 2, 1))
    codes[statuts == NO_CELL] = -1
    categories = pd.Index([SECRET_SYMBOL, MISSING_SYMBOL, *numbers.tolist()], dtype=object)
    return Column(column, pd.Categorical.from_codes(shown, categories), codes,
                  (DEFAULT, _number_style(number_format), _number_style(number_format, True)))


def _band_column(column: int, bands: np.ndarray, statuts: np.ndarray,
                 restreinte: bool) -> Column:
    """``_band`` of each cell of a column (``_statut_codes``); ``NO_CELL`` leaves it out."""
    named = list(BAND_FILLS)
    fill = np.array([named.index(b) + 1 if isinstance(b, str) and b in BAND_FILLS else 0
                     for b in bands], dtype=np.int64)
    codes = np.where((statuts != SECRET) | restreinte, fill, 0)
    shown = np.where(codes > 0, bands,
                     np.where(statuts == SECRET, SECRET_SYMBOL, MISSING_SYMBOL))
    codes[statuts == NO_CELL] = -1
    return Column(column, shown.astype(object), codes,
                  (DEFAULT, *[Style(fill=BAND_FILLS[b]) for b in named]))


def _band(column: int, band, statut: str, restreinte: bool) -> tuple:
    """The band of an indice de couverture, written and coloured."""
    if isinstance(band, str) and band in BAND_FILLS and (statut != "s" or restreinte):
        return column, band, Style(fill=BAND_FILLS[band])
    return column, SECRET_SYMBOL if statut == "s" else MISSING_SYMBOL, DEFAULT


def _kind_label(kind: str) -> str:
    return "Ensemble" if kind == ENSEMBLE else kind


def _indicator_order(rows: pd.DataFrame) -> list[str]:
    """Indicators of the catalogue first, in its order, then any other present in the table."""
    present = set(rows["indicateur"].unique())
    known = [i.code for i in CATALOGUE if i.code in present]
    return known + sorted(c for c in present if c not in known)


def _wide(rows: pd.DataFrame, keys: list[str], indicators: list[str]):
    """One row per distinct ``keys``: (keys frame, values, statuts), a column per indicator.

    ``libelle`` follows ``code`` and is not part of the key. Statuts are ``_statut_codes``:
    ``NO_CELL`` marks an indicator the table does not hold for that row (empty cell).
    """
    key = np.zeros(len(rows), dtype=np.int64)
    for column in keys:
        codes, uniques = pd.factorize(rows[column])
        key = key * (len(uniques) + 1) + codes
    row_id, row_key = pd.factorize(key)  # rows in order of appearance: callers sort them
    first = np.empty(len(row_key), dtype=np.int64)
    first[row_id] = np.arange(len(row_id))  # a row of each key (libelle follows code)
    codes, uniques = pd.factorize(rows["indicateur"])
    column_id = pd.Index(indicators).get_indexer(uniques)[codes]
    values = np.full((len(row_key), len(indicators)), np.nan)
    statuts = np.full((len(row_key), len(indicators)), NO_CELL, dtype=np.int8)
    values[row_id, column_id] = rows["valeur"].to_numpy(dtype=float, na_value=np.nan)
    statuts[row_id, column_id] = _statut_codes(rows["statut"])
    frame = _decoded(rows.iloc[first][[*keys, "libelle"]].reset_index(drop=True))
    return frame, values, statuts


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as plain values (mapped and sorted as values),
    of ``object`` dtype: a small table iterated cell by cell reads Python objects fastest."""
    decoded = {column: pd.Series(np.append(dtype.categories.to_numpy(object), np.nan)[
                   frame[column].cat.codes], index=frame.index, dtype=object)  # -1: NaN
               for column, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)}
    return frame.assign(**decoded) if decoded else frame


def _absent_kinds(rows: pd.DataFrame) -> pd.MultiIndex:
    """(niveau, code, type_siae) of the kinds a territory has no SIAE of."""
    empty = rows[(rows["indicateur"] == "nb_siae") & (rows["valeur"] == 0)
                 & (rows["statut"] == "publie") & (rows["type_siae"] != ENSEMBLE)]
    return pd.MultiIndex.from_frame(empty[["niveau", "code", "type_siae"]])


def _present(frame: pd.DataFrame, absent: pd.MultiIndex) -> np.ndarray:
    """Keep ``ensemble`` rows, and a type's rows only where the territory has such a SIAE."""
    keys = pd.MultiIndex.from_frame(frame[["niveau", "code", "type_siae"]])
    return ~keys.isin(absent)


def build_dashboard(indicateurs: pd.DataFrame, evolution: pd.DataFrame,
                    structures: pd.DataFrame, territoires: pd.DataFrame,
                    couverture: pd.DataFrame | None = None, *, territoire: str,
                    millesime: int, diffusion: str, notice: str = "",
                    secret_rule: str = "", alerte: str = "") -> bytes:
    """The workbook's bytes (deterministic: same tables, same bytes); ``alerte`` is the
    low-response banner, first of the « Lisez-moi » sheet."""
    rows = indicateurs[indicateurs["diffusion"] == diffusion]
    coverage = couverture[couverture["diffusion"] == diffusion] \
        if couverture is not None else pd.DataFrame(columns=COVERAGE_COLUMNS)
    restreinte = diffusion == "restreinte"
    absent = _absent_kinds(rows)

    wb = StreamWorkbook()
    taken: set[str] = set()
    _readme(wb.sheet(sheet_name("Lisez-moi", taken)), territoire, millesime, diffusion,
            notice, secret_rule, alerte)
    for level in LEVELS:
        level_rows = rows[rows["niveau"] == level]
        if not level_rows.empty:
            _level_sheet(wb.sheet(sheet_name(LEVEL_SHEETS[level], taken)), level, level_rows,
                         coverage[coverage["niveau"] == level], absent, millesime, restreinte)
    if "code_epci" in territoires.columns:
        _fiches(wb, taken, rows, coverage, territoires, millesime, restreinte)
    _evolution_sheets(wb, taken, evolution[evolution["diffusion"] == diffusion], absent,
                      millesime, restreinte)
    if restreinte:
        _structures_sheet(wb.sheet(sheet_name("Structures", taken)), structures, territoires,
                          millesime)
    return wb.to_bytes()


def _title(ws: Sheet, text: str, subtitle: str = "") -> int:
    """A sheet title (and subtitle) on the first rows; returns the next free row."""
    ws.write(1, [(1, text, TITLE)])
    if subtitle:
        ws.write(2, [(1, subtitle, SUBTITLE)])
    return 4 if subtitle else 3


def _header(ws: Sheet, row: int, titles: list[str], freeze: bool = True) -> None:
    """Bold, coloured column titles; the rows above and the titles stay visible when scrolling."""
    ws.write(row, [(column, text, HEADER) for column, text in enumerate(titles, start=1)])
    if freeze:
        ws.freeze = f"A{row + 1}"


def _table(ws: Sheet, row: int, titles: list[str], last_row: int, widths: list[int]) -> None:
    """Autofilter over a header row and its data, and column widths."""
    ws.auto_filter = f"A{row}:{column_letter(len(titles))}{max(last_row, row)}"
    ws.widths = dict(enumerate(widths, start=1))


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
              "– « Fiche … » : la fiche de chaque EPCI (indicateurs par type de SIAE, comparaison "
              "avec le département, couverture des besoins, communes) ;",
              "– « Évolution » : chaque indicateur comparé aux millésimes précédents du projet.",
              ""]
    if diffusion == "restreinte":
        lines.insert(-1, "– « Structures » : les chiffres déclarés par chaque SIAE.")
    lines += ["Symboles : « s » secret statistique ; « nd » donnée non disponible.", ""]
    cells = [[(1, line, BIG_TITLE if row == 1 else DEFAULT)]
             for row, line in enumerate(lines, start=1)]
    cells.append([(1, "Couverture des besoins : classes de l'indice de couverture (part du "
                      "besoin / (part du besoin + part de l'offre)), colorées dans les onglets "
                      "par niveau et les fiches ; le nom de la classe est écrit dans la cellule.",
                   DEFAULT)])
    cells += [[(1, text, Style(fill=BAND_FILLS[band]))] for band, text in _band_legend()]
    cells += [[(1, "", DEFAULT)],
              [(1, "Les définitions et formules des indicateurs figurent dans l'annexe "
                   "méthodologique du rapport (etat-des-lieux.html).", DEFAULT)],
              [(1, "", DEFAULT)], [(1, "Indicateurs :", DEFAULT)]]
    cells += [[(1, f"– {i.libelle} ({i.unite}) : {i.formule}.", DEFAULT)] for i in CATALOGUE]
    for row, line in enumerate(cells, start=1):
        if line[0][1] != "":
            ws.write(row, line)
    ws.widths = {1: 120}


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


def _coverage(coverage: pd.DataFrame) -> tuple[list[str], dict]:
    """Needs present and ``(code, besoin)`` → (indice, band, statut)."""
    needs = [n for n in LIBELLES_BESOINS if n in set(coverage["besoin"])]
    found = dict(zip(zip(coverage["code"], coverage["besoin"], strict=True),
                     zip(coverage["indice_couverture"].to_numpy(dtype=float, na_value=np.nan),
                         coverage["couverture"].astype(object), coverage["statut"],
                         strict=True), strict=True))
    return needs, found


def _level_sheet(ws: Sheet, level: str, rows: pd.DataFrame, coverage: pd.DataFrame,
                 absent: pd.MultiIndex, millesime: int, restreinte: bool) -> None:
    indicators = _indicator_order(rows)
    needs, covered = _coverage(coverage)
    start = _title(ws, f"Indicateurs par {LEVEL_LABELS[level].lower()} — millésime {millesime}",
                   "Une ligne par territoire (ensemble des SIAE), par type de SIAE présent et par "
                   "public ; « s » secret statistique, « nd » non disponible ; couverture des "
                   "besoins colorée par classe (légende dans « Lisez-moi »).")
    titles = ["Code", LEVEL_LABELS[level], "Type de SIAE", "Public",
              *[_label(i) for i in indicators]]
    for need in needs:
        titles += [f"Indice de couverture ({SHORT_NEEDS.get(need, need)})",
                   f"Couverture ({SHORT_NEEDS.get(need, need)})"]
    _header(ws, start, titles)
    keys, values, statuts = _wide(rows, ["niveau", "code", "type_siae", "public"], indicators)
    keep = _present(keys, absent)
    keys, values, statuts = keys[keep].reset_index(drop=True), values[keep], statuts[keep]
    order = keys.assign(_kind=keys["type_siae"].map(KINDS.index),
                        _public=keys["public"] != ENSEMBLE)  # all publics first, then each
    order = order.sort_values(["libelle", "code", "_kind", "_public", "public"]).index.to_numpy()
    keys, values, statuts = keys.iloc[order], values[order], statuts[order]
    codes, kinds = keys["code"].to_numpy(object), keys["type_siae"].to_numpy(object)
    publics = keys["public"].to_numpy(object)
    text = np.zeros(len(keys), dtype=np.int64)
    columns = [Column(1, codes, text), Column(2, keys["libelle"].to_numpy(object), text),
               Column(3, np.where(kinds == ENSEMBLE, _kind_label(ENSEMBLE), kinds), text),
               Column(4, publics, text)]
    columns += [_value_column(i + 5, values[:, i], statuts[:, i], restreinte,
                              NUMBER_FORMATS.get(_unite(indicator), DEFAULT_NUMBER_FORMAT))
                for i, indicator in enumerate(indicators)]
    everyone = (kinds == ENSEMBLE) & (publics == ENSEMBLE)
    first_need = 5 + len(indicators)
    for n, need in enumerate(needs):
        found = [covered.get((code, need)) if all_rows else None
                 for code, all_rows in zip(codes, everyone, strict=True)]
        indices = np.array([np.nan if f is None else f[0] for f in found], dtype=float)
        bands = np.array([None if f is None else f[1] for f in found], dtype=object)
        need_statuts = _statut_codes(["" if f is None else f[2] for f in found])
        columns += [_value_column(first_need + 2 * n, indices, need_statuts, restreinte,
                                  INDEX_FORMAT),
                    _band_column(first_need + 2 * n + 1, bands, need_statuts, restreinte)]
    ws.write_columns(start + 1, format_columns(columns))
    line = start + len(keys)
    _table(ws, start, titles, line,
           [12, 34, 12, 10, *[18] * len(indicators), *[14] * (2 * len(needs))])


def _fiches(wb: StreamWorkbook, taken: set[str], rows: pd.DataFrame, coverage: pd.DataFrame,
            territoires: pd.DataFrame, millesime: int, restreinte: bool) -> None:
    """A « fiche territoire » sheet per EPCI, sorted by name."""
    members = territoires.dropna(subset=["code_epci"])
    epci_of = dict(zip(members["code_commune"], members["code_epci"], strict=True))
    departement_of = dict(zip(members["code_epci"], members["code_departement"], strict=True))
    names = dict(zip(members["code_epci"], members["nom_epci"], strict=True))
    epci = _decoded(rows[(rows["niveau"] == "epci") & (rows["public"] == ENSEMBLE)])
    by_epci = {code: group for code, group in epci.groupby("code", sort=False)}
    departements = rows[(rows["niveau"] == "departement") & (rows["type_siae"] == ENSEMBLE)
                        & (rows["public"] == ENSEMBLE)]
    dep = {(c, i): (v, s) for c, i, v, s in zip(
        departements["code"], departements["indicateur"],
        departements["valeur"].to_numpy(dtype=float, na_value=np.nan), departements["statut"],
        strict=True)}
    communes = rows[(rows["niveau"] == "commune") & (rows["type_siae"] == ENSEMBLE)
                    & (rows["public"] == ENSEMBLE)]
    commune_indicators = _indicator_order(communes) if not communes.empty else []
    keys, values, statuts = _wide(communes, ["code"], commune_indicators)
    ordered = keys.assign(_epci=keys["code"].map(epci_of)).sort_values(["libelle", "code"])
    communes_by_epci = {code: ordered.index.to_numpy()[positions] for code, positions
                        in ordered.groupby("_epci", sort=False).indices.items()}
    text = np.zeros(len(keys), dtype=np.int64)
    commune_table = format_columns([
        Column(1, keys["libelle"].to_numpy(object), text),
        Column(2, keys["code"].to_numpy(object), text),
        *[_value_column(i + 3, values[:, i], statuts[:, i], restreinte,
                        NUMBER_FORMATS.get(_unite(indicator), DEFAULT_NUMBER_FORMAT))
          for i, indicator in enumerate(commune_indicators)]])
    _, covered = _coverage(coverage[coverage["niveau"] == "epci"])
    empty = rows.iloc[0:0]
    for code, libelle in sorted(names.items(), key=lambda item: (item[1], item[0])):
        ws = wb.sheet(sheet_name(f"Fiche {libelle}", taken))
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
    line = _title(ws, f"Fiche territoire — {libelle}", f"EPCI {code} — millésime {millesime}")
    indicators = _indicator_order(epci)
    titles = ["Indicateur", *[_kind_label(k) for k in KINDS], "Département (ensemble)"]
    _header(ws, line, titles, freeze=False)
    values = {(i, k): (v, s) for i, k, v, s in zip(
        epci["indicateur"], epci["type_siae"],
        epci["valeur"].to_numpy(dtype=float, na_value=np.nan), epci["statut"], strict=True)}
    for indicator in indicators:
        line += 1
        unite = _unite(indicator)
        cells = [(1, _label(indicator), DEFAULT)]
        for column, kind in enumerate(KINDS, start=2):
            if (indicator, kind) in values:
                cells.append(_value(column, *values[(indicator, kind)], unite, restreinte))
        if (departement, indicator) in dep:
            cells.append(_value(len(KINDS) + 2, *dep[(departement, indicator)], unite,
                                restreinte))
        ws.write(line, cells)
    for need, (indice, band, statut) in coverage.items():
        line += 1
        name = LIBELLES_BESOINS[need]
        ws.write(line, [(1, f"Couverture des besoins — {name} (indice, classe)", DEFAULT),
                        _value(2, indice, statut, "", restreinte, INDEX_FORMAT),
                        _band(3, band, statut, restreinte)])
    line += 2
    ws.write(line, [(1, "Communes de l'EPCI (ensemble des SIAE)", BOLD)])
    line += 1
    if len(communes) == 0:
        commune_indicators = []
    _header(ws, line, ["Commune", "Code", *[_label(i) for i in commune_indicators]],
            freeze=False)
    ws.write_columns(line + 1, commune_table, communes)
    ws.freeze = "B5"
    ws.widths = dict(enumerate([48, *[13] * len(KINDS), 16], start=1))


def _evolution_sheets(wb: StreamWorkbook, taken: set[str], evolution: pd.DataFrame,
                      absent: pd.MultiIndex, millesime: int, restreinte: bool) -> None:
    """« Évolution », continued on « Évolution (2) »… past the spreadsheet's row limit."""
    subtitle = ("Chaque indicateur comparé à sa valeur dans les millésimes précédents "
                "construits dans le projet, pour les types de SIAE présents (niveau communal : "
                "table out_evolution).")
    title = f"Évolution des indicateurs — millésime {millesime}"
    evolution = evolution[evolution["niveau"] != "commune"]
    evolution = evolution[_present(evolution, absent)]
    if evolution.empty:
        ws = wb.sheet(sheet_name("Évolution", taken))
        start = _title(ws, title, subtitle)
        ws.write(start, [(1, "Aucun millésime précédent n'a été construit dans ce projet : "
                             "lancez « iae-etat build --all » pour comparer les millésimes.",
                          DEFAULT)])
        ws.widths = {1: 120}
        return
    titles = ["Niveau", "Code", "Territoire", "Indicateur", "Type de SIAE", "Public",
              "Millésime de référence", "Valeur de référence", f"Valeur {millesime}", "Écart",
              "Évolution (%)", "Rupture de série"]
    if "rupture" not in evolution.columns:  # a table built before the breaks were declared
        evolution = evolution.assign(rupture="")
    data = evolution.assign(_level=evolution["niveau"].map(LEVELS.index).astype(int),
                            _kind=evolution["type_siae"].map(
                                lambda k: KINDS.index(k) if k in KINDS else len(KINDS))
                            .astype(int))
    data = data.sort_values(["_level", "libelle", "code", "indicateur", "_kind", "public",
                             "millesime_reference"])
    columns = {c: data[c].to_numpy(dtype=object) for c in
               ("niveau", "code", "libelle", "indicateur", "type_siae", "public", "unite",
                "millesime_reference", "statut")}
    ruptures = data["rupture"].astype(object).fillna("").to_numpy()
    numbers = {c: data[c].to_numpy(dtype=float, na_value=np.nan)
               for c in ("valeur_reference", "valeur", "ecart", "ecart_pct")}
    per_sheet = MAX_ROWS - 4
    for first in range(0, len(data), per_sheet):
        ws = wb.sheet(sheet_name("Évolution", taken))
        start = _title(ws, title, subtitle)
        _header(ws, start, titles)
        line = start
        for r in range(first, min(first + per_sheet, len(data))):
            line += 1
            indicateur, statut = columns["indicateur"][r], columns["statut"][r]
            unite = _unite(indicateur) if indicateur in BY_CODE else columns["unite"][r]
            ws.write(line, [
                (1, LEVEL_LABELS.get(columns["niveau"][r], columns["niveau"][r]), DEFAULT),
                (2, columns["code"][r], DEFAULT), (3, columns["libelle"][r], DEFAULT),
                (4, _label(indicateur), DEFAULT), (5, _kind_label(columns["type_siae"][r]),
                                                   DEFAULT),
                (6, columns["public"][r], DEFAULT),
                (7, int(columns["millesime_reference"][r]), _number_style(NUMBER_FORMATS["annee"])),
                _value(8, numbers["valeur_reference"][r], statut, unite, restreinte),
                _value(9, numbers["valeur"][r], statut, unite, restreinte),
                _value(10, numbers["ecart"][r], statut, RATE_GAP.get(unite, unite), restreinte),
                _value(11, numbers["ecart_pct"][r], statut, "%", restreinte),
                (12, ruptures[r], DEFAULT)])
        _table(ws, start, titles, line, [14, 12, 30, 40, 12, 10, 12, 14, 14, 12, 12, 60])


def _structures_sheet(ws: Sheet, structures: pd.DataFrame, territoires: pd.DataFrame,
                      millesime: int) -> None:
    start = _title(ws, f"Chiffres par structure — millésime {millesime}",
                   "Diffusion restreinte : données déclarées par chaque SIAE, non soumises au "
                   "secret statistique. Ne pas diffuser.")
    names = territoires.set_index("code_commune")["nom_commune"]
    data = structures.assign(nom_commune=structures["code_commune"].map(names))
    data = data.sort_values(["denomination", "siret", "type_siae"])
    titles = [label for _, label in STRUCTURE_COLUMNS]
    _header(ws, start, titles)
    line = start
    for record in data.to_dict("records"):
        line += 1
        cells = []
        for column, (field, _) in enumerate(STRUCTURE_COLUMNS, start=1):
            value = record.get(field)
            if missing(value):
                continue
            if field == "salaries_annee":
                cells.append((column, int(value), _number_style(NUMBER_FORMATS["personnes"])))
            elif field in ("etp_conventionnes", "etp_realises"):
                cells.append((column, float(value), _number_style(DEFAULT_NUMBER_FORMAT)))
            else:
                cells.append((column, bool(value) if field == "a_repondu" else value, DEFAULT))
        ws.write(line, cells)
    _table(ws, start, titles, line, [16, 12, 40, 12, 28, 12, 14, 14, 16])
