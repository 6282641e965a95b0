"""``tableau-de-bord.xlsx``: the steering workbook of the DDETS and the Département (pure).

Sheets: « Lisez-moi » (reading guide), one sheet per territory level with every indicator (a row
per territory and type of SIAE, a column per indicator), a « fiche territoire » per EPCI, the
evolution against earlier millésimes, and — in ``restreinte`` diffusion only — the figures of
each structure. In ``publique`` diffusion, a value under statistical secrecy is written ``s``.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.indicateurs import BY_CODE, CATALOGUE, ENSEMBLE, TYPES_SIAE
from iae_etat.analyse.niveaux import LEVEL_LABELS, LEVELS
from iae_etat.report import classeur
from iae_etat.report.classeur import header_row, put, sheet_name, table, title
from iae_etat.xlsx import workbook_bytes

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


def _label(code: str) -> str:
    indicateur = BY_CODE.get(code)
    return f"{indicateur.libelle} ({indicateur.unite})" if indicateur else code


def _lookup(rows: pd.DataFrame, keys: list[str]) -> dict[tuple, tuple]:
    """``keys`` → (valeur, statut), for fast cell filling."""
    columns = [rows[k].tolist() for k in keys]
    return dict(zip(zip(*columns, strict=True),
                    zip(rows["valeur"].tolist(), rows["statut"].tolist(), strict=True),
                    strict=True))


def _present_kinds(rows: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """Keep the ``ensemble`` rows, and a type's rows only where the territory has such a SIAE."""
    counts = rows[rows["indicateur"] == "nb_siae"]
    empty = counts[(counts["valeur"] == 0) & (counts["statut"] == "publie")]
    absent = set(zip(empty["code"], empty["type_siae"], strict=True))
    return pd.Series([k == ENSEMBLE or (c, k) not in absent
                      for c, k in zip(keys["code"], keys["type_siae"], strict=True)],
                     index=keys.index)


def _kind_label(kind: str) -> str:
    return "Ensemble" if kind == ENSEMBLE else kind


def _indicator_order(rows: pd.DataFrame) -> list[str]:
    """Indicators of the catalogue first, in its order, then any other present in the table."""
    present = list(dict.fromkeys(rows["indicateur"]))
    known = [i.code for i in CATALOGUE if i.code in present]
    return known + sorted(c for c in present if c not in known)


def build_dashboard(indicateurs: pd.DataFrame, evolution: pd.DataFrame,
                    structures: pd.DataFrame, territoires: pd.DataFrame, *, territoire: str,
                    millesime: int, diffusion: str, notice: str = "",
                    secret_rule: str = "") -> bytes:
    """The workbook's bytes (deterministic: same tables, same bytes)."""
    from openpyxl import Workbook

    rows = indicateurs[indicateurs["diffusion"] == diffusion]
    # plain Python strings: the many small selections below are faster than on Arrow strings
    rows = rows.astype({c: object for c in rows.columns if c != "valeur"})
    restreinte = diffusion == "restreinte"

    wb = Workbook()
    taken: set[str] = set()
    readme = wb.active
    readme.title = sheet_name("Lisez-moi", taken)
    _readme(readme, territoire, millesime, diffusion, notice, secret_rule)
    for level in LEVELS:
        level_rows = rows[rows["niveau"] == level]
        if not level_rows.empty:
            _level_sheet(wb.create_sheet(sheet_name(LEVEL_SHEETS[level], taken)), level,
                         level_rows, millesime, restreinte)
    if "code_epci" in territoires.columns:
        _fiches(wb, taken, rows, territoires, millesime, restreinte)
    _evolution_sheet(wb.create_sheet(sheet_name("Évolution", taken)),
                     evolution[evolution["diffusion"] == diffusion], millesime, restreinte)
    if diffusion == "restreinte":
        _structures_sheet(wb.create_sheet(sheet_name("Structures", taken)), structures,
                          territoires, millesime)
    return workbook_bytes(wb)


def _readme(ws, territoire: str, millesime: int, diffusion: str, notice: str,
            secret_rule: str) -> None:
    from openpyxl.styles import Font

    lines = [f"Tableau de bord de l'offre d'insertion — {territoire} — millésime {millesime}", ""]
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
              "– un onglet par niveau de territoire : une ligne par territoire et type de SIAE, "
              "une colonne par indicateur (filtres sur la ligne d'en-tête) ;",
              "– « Fiche … » : la fiche de chaque EPCI (indicateurs par type de SIAE, comparaison "
              "avec le département, communes) ;",
              "– « Évolution » : chaque indicateur comparé aux millésimes précédents du projet.",
              ""]
    if diffusion == "restreinte":
        lines.insert(-1, "– « Structures » : les chiffres déclarés par chaque SIAE.")
    lines += ["Symboles : « s » secret statistique ; « nd » donnée non disponible.",
              "Les définitions et formules des indicateurs figurent dans l'annexe méthodologique "
              "du rapport (etat-des-lieux.html).", "", "Indicateurs :"]
    lines += [f"– {i.libelle} ({i.unite}) : {i.formule}." for i in CATALOGUE]
    for row, line in enumerate(lines, start=1):
        put(ws, row, 1, line)
    ws["A1"].font = Font(bold=True, size=14, color="000091")
    ws.column_dimensions["A"].width = 120


def _level_sheet(ws, level: str, rows: pd.DataFrame, millesime: int,
                 restreinte: bool) -> None:
    indicators = _indicator_order(rows)
    start = title(ws, f"Indicateurs par {LEVEL_LABELS[level].lower()} — millésime {millesime}",
                  "Une ligne par territoire (ensemble des SIAE) et par type de SIAE présent ; "
                  "« s » secret statistique, « nd » non disponible.")
    titles = ["Code", LEVEL_LABELS[level], "Type de SIAE", "Public",
              *[_label(i) for i in indicators]]
    header_row(ws, start, titles)
    wide = _lookup(rows, ["code", "type_siae", "public", "indicateur"])
    keys = rows[["code", "libelle", "type_siae", "public"]].drop_duplicates()
    keys = keys[_present_kinds(rows, keys)]
    keys = keys.assign(_kind=keys["type_siae"].map(KINDS.index),
                       _public=keys["public"] != ENSEMBLE)  # all publics first, then each
    keys = keys.sort_values(["libelle", "code", "_kind", "_public", "public"])
    line = start
    for key in keys.itertuples(index=False):
        line += 1
        put(ws, line, 1, key.code)
        put(ws, line, 2, key.libelle)
        put(ws, line, 3, _kind_label(key.type_siae))
        put(ws, line, 4, key.public)
        for column, indicator in enumerate(indicators, start=5):
            index = (key.code, key.type_siae, key.public, indicator)
            if index in wide:
                value, statut = wide[index]
                classeur.put_value(ws, line, column, value, statut, BY_CODE[indicator].unite
                                   if indicator in BY_CODE else "", restreinte)
    table(ws, start, titles, line, [12, 34, 12, 10, *[18] * len(indicators)])


def _fiches(wb, taken: set[str], rows: pd.DataFrame, territoires: pd.DataFrame,
            millesime: int, restreinte: bool) -> None:
    """A « fiche territoire » sheet per EPCI, sorted by name."""
    members = territoires.dropna(subset=["code_epci"])
    epci_of = dict(zip(members["code_commune"], members["code_epci"], strict=True))
    departement_of = dict(zip(members["code_epci"], members["code_departement"], strict=True))
    names = dict(zip(members["code_epci"], members["nom_epci"], strict=True))
    by_epci = {code: group for code, group in rows[rows["niveau"] == "epci"].groupby("code")}
    by_departement = {code: group for code, group in
                      rows[rows["niveau"] == "departement"].groupby("code")}
    communes = rows[(rows["niveau"] == "commune") & (rows["type_siae"] == ENSEMBLE)
                    & (rows["public"] == ENSEMBLE)]
    communes_by_epci = {code: group for code, group in
                        communes.groupby(communes["code"].map(epci_of))}
    empty = rows.iloc[0:0]
    for code, libelle in sorted(names.items(), key=lambda item: (item[1], item[0])):
        ws = wb.create_sheet(sheet_name(f"Fiche {libelle}", taken))
        _fiche(ws, code, libelle, by_epci.get(code, empty),
               by_departement.get(departement_of[code], empty),
               communes_by_epci.get(code, empty), millesime, restreinte)


def _fiche(ws, code: str, libelle: str, epci: pd.DataFrame, departement: pd.DataFrame,
           communes: pd.DataFrame, millesime: int, restreinte: bool) -> None:
    """The « fiche territoire » of one EPCI."""
    from openpyxl.styles import Font

    line = title(ws, f"Fiche territoire — {libelle}", f"EPCI {code} — millésime {millesime}")
    indicators = _indicator_order(epci)
    titles = ["Indicateur", *[_kind_label(k) for k in KINDS], "Département (ensemble)"]
    header_row(ws, line, titles)
    values = _lookup(epci[epci["public"] == ENSEMBLE], ["indicateur", "type_siae"])
    dep = _lookup(departement[(departement["type_siae"] == ENSEMBLE)
                              & (departement["public"] == ENSEMBLE)], ["indicateur"])
    for indicator in indicators:
        line += 1
        unite = BY_CODE[indicator].unite if indicator in BY_CODE else ""
        put(ws, line, 1, _label(indicator))
        for column, kind in enumerate(KINDS, start=2):
            if (indicator, kind) in values:
                value, statut = values[(indicator, kind)]
                classeur.put_value(ws, line, column, value, statut, unite, restreinte)
        if (indicator,) in dep:
            value, statut = dep[(indicator,)]
            classeur.put_value(ws, line, len(KINDS) + 2, value, statut, unite, restreinte)
    line += 2
    put(ws, line, 1, "Communes de l'EPCI (ensemble des SIAE)").font = Font(bold=True)
    line += 1
    commune_rows = communes
    commune_indicators = _indicator_order(commune_rows) if not commune_rows.empty else []
    header_row(ws, line, ["Commune", "Code", *[_label(i) for i in commune_indicators]],
               freeze=False)
    wide = _lookup(commune_rows, ["code", "indicateur"])
    names = sorted(set(zip(commune_rows["libelle"], commune_rows["code"], strict=True)))
    for name, commune in names:
        line += 1
        put(ws, line, 1, name)
        put(ws, line, 2, commune)
        for column, indicator in enumerate(commune_indicators, start=3):
            if (commune, indicator) in wide:
                value, statut = wide[(commune, indicator)]
                classeur.put_value(ws, line, column, value, statut, BY_CODE[indicator].unite
                                   if indicator in BY_CODE else "", restreinte)
    ws.freeze_panes = "B5"
    from openpyxl.utils import get_column_letter

    for column, width in enumerate([48, *[13] * len(KINDS), 16], start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _evolution_sheet(ws, evolution: pd.DataFrame, millesime: int,
                     restreinte: bool) -> None:
    start = title(ws, f"Évolution des indicateurs — millésime {millesime}",
                  "Chaque indicateur comparé à sa valeur dans les millésimes précédents "
                  "construits dans le projet (niveau communal : table out_evolution).")
    evolution = evolution[evolution["niveau"] != "commune"]
    if evolution.empty:
        put(ws, start, 1, "Aucun millésime précédent n'a été construit dans ce projet : lancez "
                          "« iae-etat build --all » pour comparer les millésimes.")
        ws.column_dimensions["A"].width = 120
        return
    titles = ["Niveau", "Code", "Territoire", "Indicateur", "Type de SIAE", "Public",
              "Millésime de référence", "Valeur de référence", f"Valeur {millesime}", "Écart",
              "Évolution (%)"]
    header_row(ws, start, titles)
    data = evolution.assign(_level=evolution["niveau"].map(LEVELS.index),
                            _kind=evolution["type_siae"].map(
                                lambda k: KINDS.index(k) if k in KINDS else len(KINDS)))
    data = data.sort_values(["_level", "libelle", "code", "indicateur", "_kind", "public",
                             "millesime_reference"])
    line = start
    for row in data.itertuples(index=False):
        line += 1
        unite = BY_CODE[row.indicateur].unite if row.indicateur in BY_CODE else row.unite
        put(ws, line, 1, LEVEL_LABELS.get(row.niveau, row.niveau))
        put(ws, line, 2, row.code)
        put(ws, line, 3, row.libelle)
        put(ws, line, 4, _label(row.indicateur))
        put(ws, line, 5, _kind_label(row.type_siae))
        put(ws, line, 6, row.public)
        put(ws, line, 7, int(row.millesime_reference), "annee")
        classeur.put_value(ws, line, 8, row.valeur_reference, row.statut, unite, restreinte)
        classeur.put_value(ws, line, 9, row.valeur, row.statut, unite, restreinte)
        classeur.put_value(ws, line, 10, row.ecart, row.statut, unite, restreinte)
        classeur.put_value(ws, line, 11, row.ecart_pct, row.statut, "%", restreinte)
    table(ws, start, titles, line, [14, 12, 30, 40, 12, 10, 12, 14, 14, 12, 12])


def _structures_sheet(ws, structures: pd.DataFrame, territoires: pd.DataFrame,
                      millesime: int) -> None:
    start = title(ws, f"Chiffres par structure — millésime {millesime}",
                  "Diffusion restreinte : données déclarées par chaque SIAE, non soumises au "
                  "secret statistique. Ne pas diffuser.")
    names = territoires.set_index("code_commune")["nom_commune"]
    data = structures.assign(nom_commune=structures["code_commune"].map(names))
    data = data.sort_values(["denomination", "siret", "type_siae"])
    titles = [label for _, label in STRUCTURE_COLUMNS]
    header_row(ws, start, titles)
    line = start
    for record in data.to_dict("records"):
        line += 1
        for column, (field, _) in enumerate(STRUCTURE_COLUMNS, start=1):
            value = record.get(field)
            if classeur.missing(value):
                value = None
            if field == "salaries_annee" and value is not None:
                value = int(value)
            elif field in ("etp_conventionnes", "etp_realises") and value is not None:
                value = float(value)
            elif field == "a_repondu" and value is not None:
                value = bool(value)
            put(ws, line, column, value, "personnes" if field == "salaries_annee" else "ETP")
    table(ws, start, titles, line, [16, 12, 40, 12, 28, 12, 14, 14, 16])
