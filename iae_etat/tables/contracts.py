"""Data contracts: the YAML files of ``schemas/``, one per table.

A contract lists the table's fields (name, French title, description, type, unit, constraints);
from it come the pandera schema every written table is validated against, the conformed column
types, the data dictionary of the report and a Table Schema descriptor (schema.data.gouv.fr).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from iae_etat.common import resources, yamlio
from iae_etat.common.errors import ConfigError, Probleme
from iae_etat.tables.codage import codes_used, duplicated_keys, sorted_categories

# Table names say their layer: raw_ (as read), core_ (harmonised), out_ (computed).
TABLE_LAYERS = ("raw_", "core_", "out_")
TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
_CONSTRAINTS = {"required", "unique", "minimum", "maximum", "pattern", "enum"}


@dataclass(frozen=True)
class Field:
    """One column of a table."""

    name: str
    title: str
    description: str
    type: str
    unit: str = ""
    constraints: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dtype(self) -> str:
        return TYPES[self.type]

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required", False))


@dataclass(frozen=True)
class Contract:
    """The contract of one table."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    version: str = "1"
    path: Path | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def columns(name: str) -> list[str]:
    """The columns of table ``name``, in the order of its shipped contract: the one list a
    stage builds its frame with, so that no contract is restated in code."""
    return [f.name for f in load_contract(name).fields]


def load_contract(name: str, project_dir: Path | None = None) -> Contract:
    """The contract of table ``name`` (the project's override when it has one)."""
    try:
        path = resources.locate("schemas", f"{name}.yaml", project_dir)
    except FileNotFoundError:
        raise ConfigError(f"Aucun contrat de données pour la table « {name} » "
                          f"(fichier schemas/{name}.yaml introuvable).") from None
    return _parse_contract(path)


def all_contracts(project_dir: Path | None = None) -> list[Contract]:
    """Every contract, sorted by table name (other YAML files of ``schemas/`` are catalogues)."""
    return [load_contract(n.removesuffix(".yaml"), project_dir)
            for n in resources.names("schemas", project_dir, ".yaml")
            if n.startswith(TABLE_LAYERS)]


@lru_cache(maxsize=128)
def _parse_contract_cached(path: Path, mtime_ns: int) -> Contract:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} : YAML invalide ({exc}).") from exc
    if not isinstance(data, dict) or "fields" not in data or "name" not in data:
        raise ConfigError(f"{path} : un contrat doit avoir les clés name, title et fields.")
    fields_ = []
    for i, raw in enumerate(data["fields"], start=1):
        where = f"{path}, champ n° {i}"
        if not isinstance(raw, dict) or "name" not in raw:
            raise ConfigError(f"{where} : chaque champ doit avoir un nom (name).")
        cut = [k for k, v in raw.items() if v is None]
        if cut:
            raise ConfigError(f"{where} ({raw['name']}) : clé(s) sans valeur "
                              f"{', '.join(map(str, cut))} : une virgule a coupé un texte entre "
                              "accolades ; mettez le titre ou la description entre guillemets.")
        ftype = raw.get("type", "string")
        if ftype not in TYPES:
            raise ConfigError(f"{where} ({raw['name']}) : type « {ftype} » inconnu "
                              f"(attendu : {', '.join(TYPES)}).")
        constraints = raw.get("constraints") or {}
        unknown = set(constraints) - _CONSTRAINTS
        if unknown:
            raise ConfigError(f"{where} ({raw['name']}) : contrainte(s) inconnue(s) "
                              f"{', '.join(sorted(unknown))}.")
        known = {"name", "title", "description", "type", "unit", "constraints"}
        fields_.append(Field(
            name=raw["name"], title=raw.get("title", raw["name"]),
            description=raw.get("description", ""), type=ftype, unit=raw.get("unit") or "",
            constraints=constraints, extra={k: v for k, v in raw.items() if k not in known}))
    if data["name"] != path.stem:
        raise ConfigError(f"{path} : le nom « {data['name']} » doit être celui du fichier.")
    return Contract(name=data["name"], title=data.get("title", data["name"]),
                    description=data.get("description", ""), fields=tuple(fields_),
                    primary_key=tuple(data.get("primaryKey", ())),
                    version=str(data.get("version", "1")), path=path)


def _parse_contract(path: Path) -> Contract:
    return _parse_contract_cached(path, path.stat().st_mtime_ns)


def conform(df: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Columns in the contract's order and types; extra columns dropped.

    Missing columns are left out (validation reports them); cells that cannot take the type
    become null, so conform a frame only after the stage that produced it checked its cells.
    """
    out = {}
    for f in contract.fields:
        if f.name not in df.columns:
            continue
        column = df[f.name]
        if f.type == "string" and _text_codes(column):
            out[f.name] = sorted_categories(column)  # stays dictionary-encoded, sorts as text
            continue
        if f.type in ("integer", "number"):
            column = pd.to_numeric(column, errors="coerce")
            if f.type == "integer":
                column = column.round()
        out[f.name] = column.astype(f.dtype)
    return pd.DataFrame(out, index=df.index, copy=False)  # the columns as they are (no copy)


def plain_dtypes(df: pd.DataFrame) -> dict[str, str]:
    """The text type of each dictionary-encoded text column of ``df``: a table is written
    with the same types whether or not its text was held as dictionary codes."""
    return {c: TYPES["string"] for c in df.columns if _text_codes(df[c])}


def _text_codes(column: pd.Series) -> bool:
    """True for a categorical column of text."""
    return isinstance(column.dtype, pd.CategoricalDtype) \
        and column.cat.categories.inferred_type in ("string", "empty")


def validate(df: pd.DataFrame, contract: Contract, fichier: str,
             key_checked: bool = False) -> list[Probleme]:
    """Check ``df`` against ``contract``; every violation becomes a French problem record.

    A dictionary-encoded text column (categorical) is checked on the values its rows hold, a
    failing one reported at the first row holding it. ``key_checked``: the caller knows the
    primary key is unique.
    """
    import pandera.pandas as pa

    problems = [Probleme(fichier=fichier, champ=name, regle="contrat.colonne_absente",
                         message=f"La colonne « {name} » exigée par le contrat "
                                 f"« {contract.name} » est absente.")
                for name in contract.columns if name not in df.columns]
    present = [f for f in contract.fields if f.name in df.columns]
    coded = [f for f in present if f.type == "string" and _text_codes(df[f.name])
             and not f.constraints.get("unique", False)]
    plain = [f for f in present if f not in coded]

    def check(fields_: list[Field], frame: pd.DataFrame,
              located: Callable | None = None) -> list[Probleme]:
        if not fields_:
            return []
        schema = pa.DataFrameSchema({f.name: _column(f, pa) for f in fields_}, strict=False)
        try:
            schema.validate(frame[[f.name for f in fields_]], lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases if located is None else located(exc.failure_cases)
            return _failure_problems(cases, contract, fichier)
        return []

    # few schemas: pandera's cost is mostly per call, not per value
    problems += check(plain, df)
    for group in _packed(df, coded):
        # every category first: when all are valid, so are those the rows hold, found only
        # otherwise (a pass over each column of millions of rows)
        _, every_category, _ = _values_used(df, group, every=True)
        if check(group, every_category):
            problems += check(*_values_used(df, group))
    if contract.primary_key and not key_checked \
            and all(k in df.columns for k in contract.primary_key):
        dup = duplicated_keys(df, list(contract.primary_key))
        for _, row in df.loc[dup, list(contract.primary_key)].drop_duplicates().iterrows():
            key = ", ".join(str(v) for v in row.tolist())
            problems.append(Probleme(
                fichier=fichier, champ=",".join(contract.primary_key), valeur=key,
                regle="contrat.cle_dupliquee",
                message=f"La clé ({key}) apparaît plusieurs fois dans « {contract.name} »."))
    return problems


# A categorical column with more values than this is checked alone; the others together,
# side by side (each padded to the longest with its first value).
_PACKED_VALUES = 1000


def _packed(df: pd.DataFrame, fields: list[Field]) -> list[list[Field]]:
    """The categorical ``fields`` in groups checked together: the short ones, then each long
    one (a column of thousands of codes would pad the others to its length)."""
    short = [f for f in fields if len(df[f.name].cat.categories) < _PACKED_VALUES]
    return [short, *([f] for f in fields if f not in short)]


def _values_used(df: pd.DataFrame, fields: list[Field],
                 every: bool = False) -> tuple[list[Field], pd.DataFrame, Callable]:
    """The values the rows of ``df`` hold in the categorical columns ``fields`` (``every``:
    all their categories, held or not), as text side by side (a missing value first where a
    row has one; a shorter column padded with its first value), and a function that places the
    failure cases found in them at the first row of ``df`` holding each failing value."""
    used, values = {}, {}
    for f in fields:
        column = df[f.name]
        size = len(column.cat.categories)
        used[f.name] = np.arange(-int((column.array.codes < 0).any()), size) if every \
            else codes_used(column.array.codes, size)
        texts = column.cat.categories.astype(TYPES["string"]).to_numpy()
        values[f.name] = np.concatenate([[pd.NA] * int((used[f.name] < 0).any()),
                                         texts[used[f.name][used[f.name] >= 0]]])
    length = max((len(v) for v in values.values()), default=0)

    def padded(held: np.ndarray) -> pd.api.extensions.ExtensionArray:
        filler = np.full(length - len(held), held[0] if len(held) else pd.NA, dtype=object)
        return pd.array(np.concatenate([held, filler]), dtype=TYPES["string"])

    frame = pd.DataFrame({name: padded(v) for name, v in values.items()})

    def located(cases: pd.DataFrame) -> pd.DataFrame:
        position = pd.to_numeric(cases["index"], errors="coerce")
        held = cases["column"].map({name: len(v) for name, v in values.items()})
        cases = cases[position.isna() | (position < held)].copy()  # not a padding
        for row, name, at in zip(cases.index, cases["column"], position[cases.index],
                                 strict=True):
            if not pd.isna(at):
                first = np.flatnonzero(df[name].array.codes == used[name][int(at)])[0]
                cases.at[row, "index"] = df.index[first]
        return cases

    return fields, frame, located


def _column(f: Field, pa: Any) -> Any:
    c = f.constraints
    checks = []
    if "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"]))
    if "maximum" in c:
        checks.append(pa.Check.le(c["maximum"]))
    if "pattern" in c:
        checks.append(pa.Check.str_matches(c["pattern"]))
    if "enum" in c:
        checks.append(pa.Check.isin(c["enum"]))
    return pa.Column(f.dtype, checks=checks, nullable=not f.required,
                     unique=bool(c.get("unique", False)))


_CHECK_MESSAGES = {
    "not_nullable": "valeur manquante alors que le champ est obligatoire",
    "field_uniqueness": "valeur en double alors que le champ doit être unique",
    "dtype": "type de colonne incorrect",
}


def _failure_problems(cases: pd.DataFrame, contract: Contract, fichier: str) -> list[Probleme]:
    problems = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        name = str(case.column)
        try:
            title = contract.field(name).title
        except KeyError:
            title = name
        rule = check.split("(")[0]
        reason = _CHECK_MESSAGES.get(rule, f"contrainte non respectée : {check}")
        row = "" if pd.isna(case.index) else f" (ligne {int(case.index) + 1})"
        problems.append(Probleme(
            fichier=fichier, champ=name, valeur="" if pd.isna(case.failure_case)
            else str(case.failure_case), regle=f"contrat.{rule}", attendu=check,
            message=f"{title}{row} : {reason}."))
    return problems


def table_schema(contract: Contract) -> dict[str, Any]:
    """A Table Schema descriptor (frictionless, schema.data.gouv.fr) of the contract."""
    out_fields = []
    for f in contract.fields:
        entry: dict[str, Any] = {"name": f.name, "title": f.title, "description": f.description,
                                 "type": f.type}
        if f.unit:
            entry["unit"] = f.unit
        if f.constraints:
            entry["constraints"] = dict(f.constraints)
        out_fields.append(entry)
    descriptor: dict[str, Any] = {"name": contract.name, "title": contract.title,
                                  "description": contract.description, "fields": out_fields}
    if contract.primary_key:
        descriptor["primaryKey"] = list(contract.primary_key)
    return descriptor
