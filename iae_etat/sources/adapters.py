"""Declarative source adapters (``pipelines/<source>.yaml``) and the code that runs them.

An adapter says how to read a source: file patterns, reader (``csv``, ``xlsx``, ``json``,
``fluxiae``), encoding, separator, masked-value markers, personal columns to drop at load, and
the column map from the normalised headers of the file to the columns of its table. The map can
change per millésime (``millesimes:``), so a renamed column in a new year is one line of YAML,
never code.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from iae_etat.common import resources
from iae_etat.common.errors import GRAVITE_INFO, ConfigError, Probleme
from iae_etat.tables import nombres
from iae_etat.territoires.codes import (
    normalise_commune,
    normalise_departement,
    normalise_epci,
    normalise_siret,
    normalise_zone_emploi,
)

CODE_NORMALISERS = {"commune": normalise_commune, "departement": normalise_departement,
                    "siret": normalise_siret, "zone_emploi": normalise_zone_emploi,
                    "epci": normalise_epci}
CODE_LABELS = {"commune": "commune", "departement": "département", "siret": "SIRET",
               "zone_emploi": "zone d'emploi", "epci": "EPCI"}
# Personal columns of the ASP exports, matched as substrings of the normalised header: the list
# the GIP Plateforme de l'inclusion drops from FluxIAE, plus the contact and address columns it
# keeps. Applied to every FluxIAE file whatever its adapter says.
PERSONNEL_FLUXIAE = (
    "courriel", "telephone", "prenom", "nom_usage", "nom_naissance", "responsable_nom",
    "urgence_nom", "referent_nom", "representant_nom", "date_naissance", "adr_mail",
    "nationalite", "titre_sejour", "observations", "salarie_agrement", "salarie_nir",
    "salarie_adr_point_remise", "salarie_adr_cplt_point_geo", "salarie_adr_numero_voie",
    "salarie_codeextensionvoie", "salarie_codetypevoie", "salarie_adr_libelle_voie",
    "salarie_adr_cplt_distribution", "salarie_adr_qpv_nom", "bban", "bic", "nom_bqe",
    "mail_corresp", "nom_corresp", "identifiant_corresp", "contrat_adr_")
# The readers of ``readers.py``, by the name an adapter gives in « lecteur ».
READERS = ("csv", "xlsx", "json", "fluxiae")
LINE_COLUMN = "ligne_source"
FILE_COLUMN = "fichier_source"


@dataclass(frozen=True)
class Adapter:
    """How to read one source."""

    name: str
    source: str
    titre: str
    table: str
    lecteur: str | dict[str, str]
    fichiers: tuple[str, ...]
    encodage: str = "utf-8-sig"
    separateur: str = ";"
    valeurs_masquees: tuple[str, ...] = ()
    colonnes: dict[str, str] = field(default_factory=dict)
    millesimes: dict[int, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    licence: str = ""
    vintage: str = ""
    facultatives: tuple[str, ...] = ()
    entetes_par_prefixe: bool = False
    donnees_personnelles: tuple[str, ...] = ()
    feuille: str | None = None
    entete_contient: str | None = None
    enregistrements: str | None = None
    hachees: tuple[str, ...] = ()
    annee_de: dict[str, str] = field(default_factory=dict)
    # The project's départements, set when the adapter is read for a project: with the option
    # ``perimetre`` (the column giving a row's département), rows of other départements are
    # counted in one record and left out before any check (a national list drowns nothing).
    departements: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    def column_map(self, millesime: int) -> dict[str, str]:
        """Table column → normalised file header, for ``millesime``."""
        mapping = dict(self.colonnes)
        for year in sorted(self.millesimes):
            if year <= millesime:
                mapping.update(self.millesimes[year])
        return {k: normalise_header(str(v).format(millesime=millesime))
                for k, v in mapping.items()}

    def reader_for(self, path: Path) -> str:
        """The reader of ``path``: the adapter's, or the one of its extension."""
        if isinstance(self.lecteur, str):
            return self.lecteur
        name = path.name.lower().removesuffix(".gz")
        for suffix, reader in self.lecteur.items():
            if name.endswith(suffix):
                return reader
        return next(iter(self.lecteur.values()))

    def vintage_for(self, millesime: int) -> str:
        """The vintage of the source's data for ``millesime``, in French."""
        text = self.vintage or "{millesime}"
        return text.format(millesime=millesime, millesime_suivant=millesime + 1)

    def is_personal(self, header: str) -> bool:
        """Whether a normalised header names personal data (dropped at load)."""
        words = self.donnees_personnelles + (PERSONNEL_FLUXIAE if self.lecteur == "fluxiae"
                                             else ())
        return any(word in header for word in words)


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
             "valeurs_masquees", "colonnes", "millesimes", "codes", "description", "licence",
             "vintage", "facultatives", "entetes_par_prefixe", "donnees_personnelles", "feuille",
             "entete_contient", "enregistrements", "hachees", "annee_de"}
    readers = data["lecteur"].values() if isinstance(data["lecteur"], dict) \
        else [data["lecteur"]]
    for reader in readers:
        if reader not in READERS:
            raise ConfigError(f"{path} : lecteur « {reader} » inconnu "
                              f"(attendu : {', '.join(READERS)}).")
    for column, kind in (data.get("codes") or {}).items():
        if kind not in CODE_NORMALISERS:
            raise ConfigError(f"{path} : codes.{column} : type de code « {kind} » inconnu "
                              f"(attendu : {', '.join(CODE_NORMALISERS)}).")
    adapter = Adapter(
        name=name, source=data["source"], titre=data.get("titre", name), table=data["table"],
        lecteur=data["lecteur"], fichiers=tuple(data["fichiers"]),
        encodage=data.get("encodage", "utf-8-sig"), separateur=data.get("separateur", ";"),
        valeurs_masquees=tuple(str(v) for v in data.get("valeurs_masquees", ())),
        colonnes={k: str(v) for k, v in data["colonnes"].items()},
        millesimes={int(y): {k: str(v) for k, v in m.items()}
                    for y, m in (data.get("millesimes") or {}).items()},
        codes=dict(data.get("codes") or {}), description=data.get("description", ""),
        licence=data.get("licence", ""), vintage=str(data.get("vintage", "")),
        facultatives=tuple(data.get("facultatives", ())),
        entetes_par_prefixe=bool(data.get("entetes_par_prefixe", False)),
        donnees_personnelles=tuple(normalise_header(w)
                                   for w in data.get("donnees_personnelles", ())),
        feuille=data.get("feuille"),
        entete_contient=normalise_header(data["entete_contient"])
        if data.get("entete_contient") else None,
        enregistrements=data.get("enregistrements"),
        hachees=tuple(data.get("hachees", ())),
        annee_de={normalise_header(k): normalise_header(v)
                  for k, v in (data.get("annee_de") or {}).items()},
        options={k: v for k, v in data.items() if k not in known})
    personal = [k for k, v in adapter.colonnes.items() if adapter.is_personal(normalise_header(v))]
    if personal:
        raise ConfigError(f"{path} : les colonnes {', '.join(personal)} sont des données "
                          "personnelles et ne peuvent pas être lues.")
    return adapter


def normalise_header(header: Any) -> str:
    """``" 2 - Dont bénéficiaires du RSA "`` → ``"2_dont_beneficiaires_du_rsa"``."""
    text = unicodedata.normalize("NFKD", str(header).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def pseudonym(value: str) -> str:
    """A stable pseudonym of an identifier (SHA-256, 16 hexadecimal characters)."""
    return hashlib.sha256(f"iae-etat|{value}".encode()).hexdigest()[:16]

def find_files(adapter: Adapter, folder: Path) -> list[Path]:
    """The entries of ``folder`` matching the adapter's patterns, sorted by name (folders left
    out; ``reading.admitted`` sorts out links, special and hidden files)."""
    if not folder.is_dir():
        return []
    found = {p for pattern in adapter.fichiers for p in folder.glob(pattern)
             if p.is_symlink() or not p.is_dir()}
    return sorted(found, key=lambda p: p.name)


def _find_header(adapter: Adapter, header: str, columns: list[str]) -> str | None:
    """The file column for a configured header: equal, or (option) starting with it."""
    if header in columns:
        return header
    if adapter.entetes_par_prefixe:
        matches = [c for c in columns if c.startswith(header)]
        if len(matches) == 1:
            return matches[0]
    return None


def map_columns(adapter: Adapter, frame: pd.DataFrame, millesime: int, display_name: str,
                first_line: int) -> tuple[pd.DataFrame, list[Probleme]]:
    """Rename the file's columns to the table's, mask markers, normalise codes."""
    problems = []
    mapping = adapter.column_map(millesime)
    unmapped = [c for c in frame.columns if c not in set(mapping.values())]
    out = pd.DataFrame(index=frame.index)
    columns = list(frame.columns)
    for target, header in mapping.items():
        found = _find_header(adapter, header, columns)
        if found is not None:
            out[target] = frame[found].astype("string").str.strip()
            continue
        if target in adapter.facultatives:
            out[target] = pd.Series(pd.NA, index=frame.index, dtype="string")
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
    out, outside = _in_scope(adapter, out, display_name)
    if outside:
        problems.append(outside)
    ignored = [str(c) for c in adapter.options.get("codes_ignores", [])]
    for column in adapter.codes:
        if ignored and column in out.columns:
            out = out[~out[column].isin(ignored)]
    for column, kind in adapter.codes.items():
        if column not in out.columns:
            continue
        raw = out[column]
        normaliser = CODE_NORMALISERS[kind]
        # each distinct value once: a code repeats over the rows of a source
        normalised = raw.map({v: normaliser(v) for v in raw.dropna().unique()})
        bad = raw.notna() & normalised.isna()
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=display_name, cellule=f"ligne {lines[idx]}", champ=column,
                valeur=str(raw[idx]), regle=f"source.code_{kind}_invalide",
                message=f"« {raw[idx]} » n'est pas un code de {CODE_LABELS[kind]} valide "
                        f"(ligne {lines[idx]})."))
        out[column] = normalised
    for column in adapter.hachees:
        if column in out.columns:
            out[column] = out[column].map(lambda v: v if pd.isna(v) else pseudonym(v))
    out[LINE_COLUMN] = lines
    out[FILE_COLUMN] = display_name
    return out.reset_index(drop=True), problems


def _in_scope(adapter: Adapter, out: pd.DataFrame,
              display_name: str) -> tuple[pd.DataFrame, Probleme | None]:
    """The rows of the project's départements (and those without a département), and one
    info record counting the others, when the adapter names its ``perimetre`` column."""
    column = adapter.options.get("perimetre")
    if not column or not adapter.departements or column not in out.columns or out.empty:
        return out, None
    raw = out[column]
    codes = raw.map({v: normalise_departement(v) or str(v) for v in raw.dropna().unique()})
    outside = raw.notna() & ~codes.isin(adapter.departements)
    if not outside.any():
        return out, None
    others = sorted(codes[outside].unique())
    shown = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
    count = int(outside.sum())
    scope = ", ".join(adapter.departements)
    return out[~outside], Probleme(
        fichier=display_name,
        champ=column, valeur=f"{count} ligne(s)", regle="source.hors_perimetre",
        gravite=GRAVITE_INFO, attendu=scope,
        message=f"{count} ligne(s) d'autres départements que ceux du projet ({scope}) ne sont "
                f"pas lues ({len(others)} département(s) : {shown}).",
        conseil="Rien à faire : une liste nationale peut être déposée telle quelle.")


def parse_numbers(frame: pd.DataFrame, columns: list[str], unite: str = "",
                  titles: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[Probleme]]:
    """Turn text columns into floats (« 1 234,5 » accepted); bad cells become problems.

    Every number goes through ``nombres.number_problem`` (finite, not negative, within the
    order of magnitude of ``unite``): an absurd one is dropped (missing) and recorded with its
    file, line and column, so that it never reaches a contract or a published figure.
    """
    out = frame.copy()
    problems = []
    for column in columns:
        label = (titles or {}).get(column, column)
        text = out[column].astype("string").str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        text = text.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & numbers.isna() & ~text.str.lower().isin(["nan", "-nan", "+nan"])
        for idx in out.index[bad]:
            problems.append(Probleme(
                fichier=out.at[idx, FILE_COLUMN], cellule=f"ligne {out.at[idx, LINE_COLUMN]}",
                champ=column, valeur=str(frame.at[idx, column]), regle="source.nombre_invalide",
                message=f"« {frame.at[idx, column]} » n'est pas un nombre "
                        f"(ligne {out.at[idx, LINE_COLUMN]}, colonne « {label} »)."))
        limit = nombres.limit_of(unite)
        absurd = text.notna() & ~bad & ~(numbers.between(0, limit))
        for idx in out.index[absurd]:
            found = nombres.number_problem(float(numbers[idx]), unite, minimum=0)
            rule, reason, expected = found or ("nombre_non_fini", "valeur non numérique",
                                               "nombre fini")
            line = out.at[idx, LINE_COLUMN]
            problems.append(Probleme(
                fichier=out.at[idx, FILE_COLUMN], cellule=f"ligne {line}", champ=column,
                valeur=str(frame.at[idx, column]), regle=f"source.{rule}", attendu=expected,
                message=f"Ligne {line}, colonne « {label} » : « {frame.at[idx, column]} », "
                        f"{reason} ; la valeur est écartée (comptée comme manquante).",
                conseil="Téléchargez le fichier à nouveau depuis le site de la source ; s'il "
                        "est ainsi publié, signalez-le au producteur."))
        out[column] = numbers.mask(bad | absurd).astype("Float64")
    return out, problems
