"""Declarative source adapters (``pipelines/<source>.yaml``) and the code that runs them.

An adapter says how to read a source: file patterns, reader, encoding, separator, masked-value
markers, and the column map from the normalised headers of the file to the columns of its table.
The map can change per millésime (``millesimes:``), so a renamed column in a new year is one line
of YAML, never code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from iae_etat import resources
from iae_etat.codes import normalise_commune, normalise_departement, normalise_siret
from iae_etat.errors import ConfigError, Probleme

CODE_NORMALISERS = {"commune": normalise_commune, "departement": normalise_departement,
                    "siret": normalise_siret}
LINE_COLUMN = "ligne_source"
FILE_COLUMN = "fichier_source"


@dataclass(frozen=True)
class Adapter:
    """How to read one source."""

    name: str
    source: str
    titre: str
    table: str
    lecteur: str
    fichiers: tuple[str, ...]
    encodage: str = "utf-8-sig"
    separateur: str = ";"
    valeurs_masquees: tuple[str, ...] = ()
    colonnes: dict[str, str] = field(default_factory=dict)
    millesimes: dict[int, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    licence: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def column_map(self, millesime: int) -> dict[str, str]:
        """Table column → normalised file header, for ``millesime``."""
        mapping = dict(self.colonnes)
        for year in sorted(self.millesimes):
            if year <= millesime:
                mapping.update(self.millesimes[year])
        return mapping


def load_adapter(name: str, project_dir: Path | None = None) -> Adapter:
    """The adapter ``pipelines/<name>.yaml`` (the project's copy when it has one)."""
    try:
        path = resources.locate("pipelines", f"{name}.yaml", project_dir)
    except FileNotFoundError:
        raise ConfigError(f"Aucun adaptateur « {name} » (pipelines/{name}.yaml introuvable).") \
            from None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} : YAML invalide ({exc}).") from exc
    missing = [k for k in ("source", "table", "lecteur", "fichiers", "colonnes") if k not in data]
    if missing:
        raise ConfigError(f"{path} : clé(s) obligatoire(s) absente(s) : {', '.join(missing)}.")
    known = {"source", "titre", "table", "lecteur", "fichiers", "encodage", "separateur",
             "valeurs_masquees", "colonnes", "millesimes", "codes", "description", "licence"}
    for column, kind in (data.get("codes") or {}).items():
        if kind not in CODE_NORMALISERS:
            raise ConfigError(f"{path} : codes.{column} : type de code « {kind} » inconnu "
                              f"(attendu : {', '.join(CODE_NORMALISERS)}).")
    return Adapter(
        name=name, source=data["source"], titre=data.get("titre", name), table=data["table"],
        lecteur=data["lecteur"], fichiers=tuple(data["fichiers"]),
        encodage=data.get("encodage", "utf-8-sig"), separateur=data.get("separateur", ";"),
        valeurs_masquees=tuple(str(v) for v in data.get("valeurs_masquees", ())),
        colonnes={k: normalise_header(v) for k, v in data["colonnes"].items()},
        millesimes={int(y): {k: normalise_header(v) for k, v in m.items()}
                    for y, m in (data.get("millesimes") or {}).items()},
        codes=dict(data.get("codes") or {}), description=data.get("description", ""),
        licence=data.get("licence", ""),
        options={k: v for k, v in data.items() if k not in known})


def normalise_header(header: Any) -> str:
    """``" 2 - Dont bénéficiaires du RSA "`` → ``"2_dont_beneficiaires_du_rsa"``."""
    text = unicodedata.normalize("NFKD", str(header).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def find_files(adapter: Adapter, folder: Path) -> list[Path]:
    """The files of ``folder`` matching the adapter's patterns, sorted by name."""
    if not folder.is_dir():
        return []
    found = {p for pattern in adapter.fichiers for p in folder.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.name)


def read_csv_source(adapter: Adapter, path: Path, millesime: int,
                    display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one CSV file of the adapter into the table's columns (text), with problems."""
    try:
        frame = pd.read_csv(path, sep=adapter.separateur, dtype=str, keep_default_na=False,
                            encoding=adapter.encodage, engine="c")
    except UnicodeDecodeError:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, regle="source.encodage",
            message=f"Le fichier n'est pas encodé en {adapter.encodage}.",
            conseil=f"Enregistrez-le en {adapter.encodage} ou modifiez « encodage » dans "
                    f"pipelines/{adapter.name}.yaml.")]
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.csv_illisible",
                                         message=f"Le fichier CSV ne peut pas être lu ({exc}).")]
    frame.columns = [normalise_header(c) for c in frame.columns]
    return map_columns(adapter, frame, millesime, display_name, first_line=2)


def map_columns(adapter: Adapter, frame: pd.DataFrame, millesime: int, display_name: str,
                first_line: int) -> tuple[pd.DataFrame, list[Probleme]]:
    """Rename the file's columns to the table's, mask markers, normalise codes."""
    problems = []
    mapping = adapter.column_map(millesime)
    unmapped = [c for c in frame.columns if c not in set(mapping.values())]
    out = pd.DataFrame(index=frame.index)
    for target, header in mapping.items():
        if header in frame.columns:
            out[target] = frame[header].str.strip()
            continue
        close = difflib.get_close_matches(header, unmapped, n=1, cutoff=0.4)
        hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
        problems.append(Probleme(
            fichier=display_name, champ=target, regle="source.colonne_absente",
            attendu=header, message=f"La colonne « {header} » attendue pour {target} "
                                    f"(millésime {millesime}) est absente.{hint}",
            conseil=f"Si la colonne a été renommée, indiquez son nouveau nom sous "
                    f"« millesimes: {millesime}: » dans pipelines/{adapter.name}.yaml."))
    if problems:
        return pd.DataFrame(), problems
    if adapter.valeurs_masquees:
        out = out.mask(out.isin(adapter.valeurs_masquees))
    out = out.mask(out == "")
    lines = pd.Series(range(first_line, first_line + len(out)), index=out.index)
    for column, kind in adapter.codes.items():
        if column not in out.columns:
            continue
        raw = out[column]
        normaliser = CODE_NORMALISERS[kind]
        normalised = raw.map(lambda v, f=normaliser: None if pd.isna(v) else f(v))
        bad = raw.notna() & normalised.isna()
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=display_name, cellule=f"ligne {lines[idx]}", champ=column,
                valeur=str(raw[idx]), regle=f"source.code_{kind}_invalide",
                message=f"« {raw[idx]} » n'est pas un code de {kind} valide (ligne {lines[idx]})."))
        out[column] = normalised
    out[LINE_COLUMN] = lines
    out[FILE_COLUMN] = display_name
    return out.reset_index(drop=True), problems


def parse_numbers(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[Probleme]]:
    """Turn text columns into floats (« 1 234,5 » accepted); bad cells become problems."""
    out = frame.copy()
    problems = []
    for column in columns:
        text = out[column].astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        text = text.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & numbers.isna()
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=out.at[idx, FILE_COLUMN], cellule=f"ligne {out.at[idx, LINE_COLUMN]}",
                champ=column, valeur=str(frame.at[idx, column]), regle="source.nombre_invalide",
                message=f"« {frame.at[idx, column]} » n'est pas un nombre "
                        f"(ligne {out.at[idx, LINE_COLUMN]})."))
        out[column] = numbers.astype("Float64")
    return out, problems
