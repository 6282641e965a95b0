"""Validation of ``iae-etat.toml`` against its declaration (``project/declaration.py``).

An unknown section or key (with the nearest declared name), a wrong type or a value out of range
is a ``Probleme`` (rules ``configuration.…`` of ``schemas/regles.yaml``) located by its line; a
TOML syntax error is one too, with its line and column, in French. All of them are raised
together in a ``SettingsError`` (exit 2), which ``iae-etat check`` lists as well. The modules
read the validated values, defaults filled in: ``projet.settings.analyse.attribution``.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from iae_etat.common.errors import ConfigError, Probleme
from iae_etat.project.declaration import (
    BY_NAME,
    SECTIONS,
    TYPES,
    Key,
    Section,
    expected,
    shown,
    value_range,
)


class SettingsError(ConfigError):
    """``iae-etat.toml`` is invalid (exit 2); every problem is listed."""

    def __init__(self, message: str, problemes: list[Probleme]):
        super().__init__(message, conseil="Les réglages possibles sont décrits dans "
                                          "docs/reglages.md.")
        self.problemes = problemes


class Settings:
    """The validated settings: ``settings.analyse.attribution``; defaults filled in."""

    def __init__(self, values: dict[str, dict[str, Any]]):
        self._values = {name: MappingProxyType(dict(keys)) for name, keys in values.items()}

    def __getattr__(self, name: str) -> Any:
        try:
            return _Values(self._values[name])
        except KeyError:
            raise AttributeError(name) from None

    def __reduce__(self):  # picklable (worker processes), the read-only views rebuilt
        return Settings, ({name: dict(keys) for name, keys in self._values.items()},)

    def section(self, name: str) -> MappingProxyType:
        """The validated values of ``[name]`` as a read-only mapping."""
        return self._values[name]


class _Values:
    def __init__(self, values: MappingProxyType):
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


def defaults() -> Settings:
    """The settings of a configuration that sets nothing but the scope."""
    return Settings({s.name: _section_defaults(s) for s in SECTIONS})


def _section_defaults(section: Section) -> dict[str, Any]:
    return {k.name: k.default for k in section.keys}


def parse(text: str, path: Path) -> dict[str, Any]:
    """The TOML of ``text``; a syntax error becomes a French problem with line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _position(str(exc), text)
        shown = text.splitlines()[line - 1].strip() if 0 < line <= len(text.splitlines()) \
            else ""
        reason = _french_reason(str(exc))
        probleme = Probleme(
            fichier=path.name, cellule=f"ligne {line}, colonne {column}",
            valeur=shown, regle="configuration.syntaxe",
            message=f"syntaxe TOML invalide ({reason})"
                    + (f" dans « {shown} »" if shown else "") + ".")
        raise SettingsError(f"{path} : syntaxe TOML invalide à la ligne {line}, colonne "
                            f"{column} ({reason}).", [probleme]) from None


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_REASONS = (  # tomllib's English messages, by their start, in French
    ("Expected '=' after a key", "signe « = » attendu après la clé"),
    ("Invalid value", "valeur invalide : un texte s'écrit entre guillemets"),
    ("Invalid initial character for a key", "caractère interdit au début d'une clé"),
    ("Cannot declare", "section ou tableau déclaré deux fois"),
    ("Cannot overwrite a value", "clé déclarée deux fois"),
    ("Unclosed array", "liste non fermée : « ] » manquant"),
    ("Unterminated string", "texte non fermé : guillemet manquant"),
    ("Illegal character", "caractère interdit dans un texte"),
    ("Expected newline or end of document", "fin de ligne attendue après la valeur"),
    ("Expected ']' at the end of a table declaration", "« ] » attendu à la fin du nom de "
     "section"),
    ("Unclosed inline table", "table en ligne non fermée : « } » manquant"),
)


def _position(message: str, text: str) -> tuple[int, int]:
    found = _AT.search(message)
    if found:
        return int(found[1]), int(found[2])
    return len(text.splitlines()) or 1, 1  # "(at end of document)"


def _french_reason(message: str) -> str:
    for english, french in _REASONS:
        if message.startswith(english):
            return french
    return "écriture non reconnue"


def validate(data: dict[str, Any], text: str, path: Path) -> Settings:
    """The settings of ``data`` (parsed from ``text``); every problem raised at once."""
    lines = _key_lines(text)
    problems: list[Probleme] = []

    def problem(regle: str, section: str, key: str, message: str, valeur: object = "",
                attendu: str = "", table: str | None = None) -> None:
        own = key.split(" : ")[-1] if table else key  # « couts n° 2 : par » → par
        line = lines.get((table or section, own)) or lines.get((table or section, ""))
        champ = f"[{section}] {key}".strip() if key else f"[{section}]"
        problems.append(Probleme(
            fichier=path.name, cellule=f"ligne {line}" if line else "", champ=champ,
            valeur=shown(valeur), attendu=attendu, regle=regle, message=f"{champ} : {message}"))

    values: dict[str, dict[str, Any]] = {s.name: _section_defaults(s) for s in SECTIONS}
    for name, content in data.items():
        section = BY_NAME.get(name)
        if section is None:
            problem("configuration.section_inconnue", name, "",
                    "section inconnue" + _suggestion(name, BY_NAME), attendu=_listed(BY_NAME))
            continue
        if not isinstance(content, dict):
            problem("configuration.type", name, "", f"doit être une section [{name}], pas une "
                    "valeur", valeur=content)
            continue
        values[name].update(_section(section, content, problem))
    projet = values["projet"]
    if "projet" not in data:
        problem("configuration.cle_absente", "projet", "", "la section [projet] est absente",
                attendu="departements = [\"26\"] ou regions = [\"84\"]")
    elif not problems and not (projet["departements"] or projet["regions"]):
        problem("configuration.cle_absente", "projet", "departements",
                "departements doit être une liste non vide de codes de département, par "
                "exemple [\"26\"], ou regions une liste de codes de région, par exemple "
                "[\"84\"]", attendu="liste non vide")
    if problems:
        first = problems[0]
        raise SettingsError(
            f"{path}, {first.cellule} : {first.message.rstrip('.')}" if len(problems) == 1 else
            f"{path} : {len(problems)} problèmes de configuration.", problems)
    return Settings(values)


def _section(section: Section, content: dict, problem: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    declared = {k.name: k for k in section.keys}
    for name, value in content.items():
        key = declared.get(name, section.free)
        if key is None:
            problem("configuration.cle_inconnue", section.name, name,
                    "clé inconnue" + _suggestion(name, declared), valeur=value,
                    attendu=_listed(declared))
            continue
        checked = _value(key, value, section.name, name, problem)
        if checked is not _INVALID:
            out[name] = checked
    for key in section.keys:
        missing = [r for r in key.requires if r not in content]
        if key.name in content and missing:
            problem("configuration.cle_absente", section.name, key.name,
                    f"doit être accompagné de « {missing[0]} » ({_key(section, missing[0])})")
    return out


_INVALID = object()


def _date(value: Any) -> date | None:
    """A TOML date, or a text « 2026-03-31 » / « 31/03/2026 », as a date (None otherwise)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
    return None


def _value(key: Key, value: Any, section: str, name: str, problem: Any,
           table: str | None = None) -> Any:
    """The checked value of ``key`` (``_INVALID`` after reporting a problem)."""
    def bad(message: str, regle: str = "configuration.valeur", hint: str = "") -> object:
        problem(regle, section, name, f"{message} (lu : {shown(value)}){hint}", valeur=value,
                attendu=expected(key), table=table)
        return _INVALID

    kind = key.type
    if kind in ("texte", "choix"):
        if not isinstance(value, str):
            return bad(f"doit être {TYPES['texte']}", "configuration.type")
        if kind == "choix" and value not in key.choices:
            return bad("valeur inconnue ; valeurs possibles : " + _listed(key.choices),
                       hint=_suggestion(value, key.choices))
        if key.not_empty and not value.strip():
            return bad("ne doit pas être vide")
        return value.strip() if kind == "texte" else value
    if kind == "booleen":
        return value if isinstance(value, bool) else bad(f"doit valoir {TYPES['booleen']}",
                                                          "configuration.type")
    if kind == "date":
        return _date(value) or bad(f"doit être {TYPES['date']}", "configuration.type")
    if kind in ("entier", "nombre"):
        number_types = int if kind == "entier" else int | float
        if isinstance(value, bool) or not isinstance(value, number_types) \
                or not math.isfinite(value):
            return bad(f"doit être {TYPES[kind]}", "configuration.type")
        low, high = key.minimum, key.maximum
        if low is not None and (value <= low if key.strict_minimum else value < low) \
                or high is not None and value > high:
            return bad(f"doit être {value_range(key)}")
        return value
    if kind in ("codes", "mots"):
        if not isinstance(value, list) or not all(
                isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip()
                for v in value) or (kind == "mots" and not all(isinstance(v, str)
                                                               for v in value)):
            return bad(f"doit être {TYPES[kind]}", "configuration.type")
        if key.not_empty and not value:
            return bad("ne doit pas être une liste vide")
        return tuple(str(v).strip() if kind == "codes" else v for v in value)
    # tables
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        return bad(f"doit être {TYPES['tables']} (écrivez [[{section}.{name}]])",
                   "configuration.type")
    tables = []
    for rank, table_value in enumerate(value, start=1):
        tables.append(_table(key, table_value, section, name, rank, problem))
    return _INVALID if _INVALID in tables else tuple(tables)


def _table(key: Key, content: dict, section: str, name: str, rank: int, problem: Any) -> Any:
    """One table of a ``tables`` key, its keys checked like a section's."""
    declared = {k.name: k for k in key.items}
    label = f"{name} n° {rank} :"
    table = f"{section}.{name}#{rank}"
    out, valid = {}, True
    for item, value in content.items():
        if item not in declared:
            problem("configuration.cle_inconnue", section, f"{label} {item}",
                    "clé inconnue" + _suggestion(item, declared), valeur=value,
                    attendu=_listed(declared), table=table)
            valid = False
            continue
        checked = _value(declared[item], value, section, f"{label} {item}", problem, table)
        valid &= checked is not _INVALID
        out[item] = checked
    for item in key.items:
        if item.required and item.name not in content:
            problem("configuration.cle_absente", section, f"{label} {item.name}",
                    f"clé obligatoire absente ({item.description.rstrip('.').lower()})",
                    attendu=expected(item), table=table)
            valid = False
    return out if valid else _INVALID


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(section, key) → line of the key; (section, "") → line of the header. A table of an
    array of tables ``[[s.k]]`` is ``s.k#n``."""
    out: dict[tuple[str, str], int] = {}
    section, counts = "", {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if header := re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", stripped):
            name = header[1].replace('"', "")
            counts[name] = counts.get(name, 0) + 1
            section = f"{name}#{counts[name]}"
            out.setdefault((name.split(".")[0], name.split(".")[-1]), number)
        elif header := re.match(r"^\[\s*([^\]]+?)\s*\]", stripped):
            section = header[1].replace('"', "")
        elif key := re.match(r'^("[^"]*"|[A-Za-z0-9_-]+)\s*=', stripped):
            out.setdefault((section, key[1].strip('"')), number)
            continue
        else:
            continue
        out.setdefault((section, ""), number)
    return out


def _suggestion(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return f" ; vouliez-vous dire « {close[0]} » ?" if close else ""


def _listed(names: Any) -> str:
    return ", ".join(f"« {n} »" for n in names)


def _key(section: Section, name: str) -> str:
    for key in section.keys:
        if key.name == name:
            return key.description.rstrip(".")
    return name


