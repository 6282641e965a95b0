"""The long-format reader (``lecteur: long``): one row per territory × period × dimensions.

Open-data portals publish statistics in long format: the DARES communal file has one row per
commune, quarter, sexe and tranche d'âge; the CAF exports one row per commune, month and type of
RSA. The adapter declares under ``format_long`` how to turn such a file into one row per
territory with the table's measures, so that any future long file is one YAML file:

- ``territoire``: the column (a key of ``colonnes``) holding the territory code;
- ``cumuls``: values of that column marking cumulative rows (« Total »), never territories;
- ``total``: a column whose value on a cumulative row is a département code: that row is the
  source's own total of the département (kept in ``total_departement`` for the controls);
- ``arrondissements: commune``: Paris, Lyon and Marseille are kept whole; their arrondissements
  are dropped when the whole commune is in the file, summed into it when it is not;
- ``periode``: the period column and the prefixes of the millésime's period
  (``["{millesime}-T4"]``);
- ``filtres``: dimension → accepted values, for every row;
- ``mesures``: table column → ``valeur`` (the value column) and ``si`` (dimension → value): the
  rows that give it, summed per territory (a masked part makes the sum missing).

Headers and dimension values are compared without accents, case or punctuation, so both
Opendatasoft header styles (labels or field names) can be declared as alternatives in
``colonnes``.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.sources.adapters import (
    Adapter,
    find_header,
    finish_columns,
    missing_column,
    normalise_header,
    secondary_missing,
)
from iae_etat.sources.labels import normalised, normalised_in
from iae_etat.sources.values import absurd_value
from iae_etat.tables import nombres
from iae_etat.territoires.codes import commune_of_arrondissement, normalise_departement

TOTAL_COLUMN = "total_departement"
_LINE = "_ligne"


def read_long_source(adapter: Adapter, path: Path, millesime: int,
                     display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read a long-format CSV into one row per territory (and per département total)."""
    spec = adapter.format_long
    frame, problems = _read_columns(adapter, path, millesime, display_name)
    if frame is None:
        return pd.DataFrame(), problems
    territory = spec["territoire"]
    frame = _filtered(frame, spec.get("filtres") or {})
    frame, found = _period(frame, spec.get("periode"), millesime)
    if found is not None and frame.empty:
        return pd.DataFrame(), problems + [_period_problem(adapter, spec, found, millesime,
                                                           display_name)]
    cumulative = frame[territory].isin(spec.get("cumuls", []))
    totals = frame[cumulative]
    frame = frame[~cumulative]
    frame, doubles = _without_duplicates(frame, territory, spec)
    if doubles:
        problems.append(Probleme(
            fichier=display_name, cellule=f"ligne {doubles[0]}", regle="source.ligne_en_double",
            gravite=GRAVITE_AVERTISSEMENT, valeur=str(len(doubles)),
            message=f"{len(doubles)} ligne(s) répètent un territoire et une période déjà lus "
                    f"(première : ligne {doubles[0]}) ; seule la première est gardée."))
    if spec.get("arrondissements") == "commune":
        frame = _whole_communes(frame, territory)
    frame = _checked_numbers(frame, spec, adapter, display_name, problems)
    out = _pivot(frame, territory, spec, adapter)
    if spec.get("total") and not totals.empty:
        codes = totals[spec["total"]].map(normalise_departement)
        own = _pivot(totals.assign(**{territory: codes}).dropna(subset=[territory]), territory,
                     spec, adapter)
        own = own.rename(columns={territory: TOTAL_COLUMN}).assign(**{territory: ""})
        out = pd.concat([out, own], ignore_index=True)
    lines = out.pop(_LINE)
    plain = replace(adapter, valeurs_masquees=())
    result, coded = finish_columns(plain, out.astype("string"), 2, display_name,
                                   lines=lines.astype("int64"))
    return result, problems + coded


def _read_columns(adapter: Adapter, path: Path, millesime: int, display_name: str
                  ) -> tuple[pd.DataFrame | None, list[Probleme]]:
    """The file's columns named by the keys of ``colonnes``, as stripped text, with lines."""
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        raw = pd.read_csv(io.StringIO(data.decode(adapter.encodage)), sep=adapter.separateur,
                          dtype=str, keep_default_na=False, engine="c")
    except UnicodeDecodeError:
        return None, [Probleme(
            fichier=display_name, regle="source.encodage",
            message=f"Le fichier n'est pas encodé en {adapter.encodage}.",
            conseil=f"Enregistrez-le en {adapter.encodage} ou modifiez « encodage » dans "
                    f"pipelines/{adapter.name}.yaml.")]
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [Probleme(fichier=display_name, regle="source.csv_illisible",
                               message=f"Le fichier CSV ne peut pas être lu ({exc}).")]
    raw.columns = [normalise_header(c) for c in raw.columns]
    mapping = adapter.column_map(millesime)
    headers = {h for v in mapping.values() for h in (v if isinstance(v, tuple) else (v,))}
    unmapped = [c for c in raw.columns if c not in headers]
    out = pd.DataFrame(index=raw.index)
    problems, warnings = [], []
    for target, header in mapping.items():
        found = find_header(adapter, header, list(raw.columns))
        if found is not None:
            out[target] = raw[found].str.strip()
        elif target in adapter.facultatives or target in adapter.secondaires:
            out[target] = ""
            if target in adapter.secondaires:
                warnings.append(secondary_missing(missing_column(
                    adapter, target, header, unmapped, millesime, display_name)))
        else:
            problems.append(missing_column(adapter, target, header, unmapped, millesime,
                                           display_name))
    if problems:
        return None, problems + warnings
    out[_LINE] = range(2, 2 + len(out))
    return out, warnings


def _same(values: pd.Series, wanted) -> pd.Series:
    """Whether each value is one of ``wanted`` (compared as normalised headers)."""
    accepted = {normalise_header(v) for v in (wanted if isinstance(wanted, list) else [wanted])}
    return normalised_in(values, accepted)


def _filtered(frame: pd.DataFrame, filters: dict) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        keep &= _same(frame[column], wanted)
    return frame[keep]


def _period(frame: pd.DataFrame, period: dict | None, millesime: int
            ) -> tuple[pd.DataFrame, list[str] | None]:
    """The rows of the millésime's period, and every period the file holds (None when the
    adapter declares no period)."""
    if not period:
        return frame, None
    column = frame[period["colonne"]]
    prefixes = tuple(str(p).format(millesime=millesime) for p in period["valeurs"])
    return frame[column.str.startswith(prefixes)], sorted(column.unique())


def _period_problem(adapter: Adapter, spec: dict, found: list[str], millesime: int,
                    display_name: str) -> Probleme:
    wanted = " ou ".join(str(p).format(millesime=millesime) for p in spec["periode"]["valeurs"])
    held = f"{found[0]} à {found[-1]}" if found else "aucune"
    return Probleme(
        fichier=display_name, regle="source.periode_absente", gravite=GRAVITE_AVERTISSEMENT,
        attendu=wanted, valeur=held,
        message=f"{adapter.titre} : le fichier ne contient pas la période {wanted} du millésime "
                f"{millesime} (périodes du fichier : {held}) ; il n'est pas utilisé.",
        conseil=f"Téléchargez l'édition du fichier qui couvre {millesime} "
                "(iae-etat sources dit où le trouver).")


def _without_duplicates(frame: pd.DataFrame, territory: str, spec: dict
                        ) -> tuple[pd.DataFrame, list[int]]:
    """Rows repeating the territory, period and dimensions (every declared column but the
    values) of an earlier row dropped; their line numbers."""
    values = {m["valeur"] for m in spec["mesures"].values()}
    keys = [c for c in frame.columns if c not in values and c != _LINE]
    labels = frame[keys].apply(normalised)
    repeated = labels.duplicated(keep="first")
    return frame[~repeated], frame.loc[repeated, _LINE].tolist()


def _whole_communes(frame: pd.DataFrame, territory: str) -> pd.DataFrame:
    """Arrondissements dropped where their commune is in the file, else renamed to it (and
    summed by the pivot)."""
    parent = frame[territory].map(commune_of_arrondissement)
    present = set(frame[territory])
    drop = parent.notna() & parent.isin(present)
    out = frame[~drop].copy()
    renamed = parent[~drop]
    out[territory] = renamed.where(renamed.notna(), out[territory])
    return out


def _numbers(values: pd.Series, masked: tuple[str, ...]) -> pd.Series:
    text = values.mask(values.isin(masked) | (values == ""))
    text = text.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(",", ".")
    return pd.to_numeric(text, errors="coerce")


def _checked_numbers(frame: pd.DataFrame, spec: dict, adapter: Adapter, display_name: str,
                     problems: list[Probleme]) -> pd.DataFrame:
    """The measures' values checked one by one (finite, not negative, within the order of
    magnitude of a count): an absurd one is recorded with its line and becomes missing, which
    makes its territory's sum missing rather than wrong."""
    frame = frame.copy()
    for column in dict.fromkeys(m["valeur"] for m in spec["mesures"].values()):
        values = _numbers(frame[column], adapter.valeurs_masquees)
        absurd = values.notna() & ~values.between(0, nombres.limit_of("personnes"))
        for index in frame.index[absurd]:
            problems.append(absurd_value(
                display_name, frame.at[index, _LINE], column, column,
                str(frame.at[index, column]), float(values[index]), "personnes",
                "la valeur est écartée (son territoire devient non disponible)"))
            frame.at[index, column] = ""
    return frame


def _pivot(frame: pd.DataFrame, territory: str, spec: dict, adapter: Adapter) -> pd.DataFrame:
    """One row per territory (and period): each measure summed over its rows; a masked or
    unreadable part makes the sum missing."""
    keys = [territory] + ([spec["periode"]["colonne"]] if spec.get("periode") else [])
    index = frame.groupby(keys, sort=True)[_LINE].min()
    out = index.to_frame(_LINE)
    for target, measure in spec["mesures"].items():
        rows = frame
        for column, wanted in (measure.get("si") or {}).items():
            rows = rows[_same(rows[column], wanted)]
        values = _numbers(rows[measure["valeur"]], adapter.valeurs_masquees)
        by = [rows[k] for k in keys]
        summed = values.groupby(by, sort=True).sum(min_count=1)
        summed = summed.mask(values.isna().groupby(by, sort=True).any())
        out[target] = summed.reindex(out.index)
    out = out.reset_index()
    if spec.get("periode") and spec["periode"]["colonne"] != "periode":
        out = out.rename(columns={spec["periode"]["colonne"]: "periode"})
    for target in spec["mesures"]:
        out[target] = out[target].map(lambda v: "" if pd.isna(v) else repr(float(v)))
    return out
