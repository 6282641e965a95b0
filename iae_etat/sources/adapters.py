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
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from iae_etat.common import resources, yamlio
from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, GRAVITE_INFO, ConfigError, Probleme
from iae_etat.sources.declarations import check_long, known
from iae_etat.sources.labels import normalise_header
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
READERS = ("csv", "xlsx", "json", "fluxiae", "long")
# Keys of the rules of the stage that reads an adapter (kept in ``Adapter.options``).
OPTION_KEYS = ("niveau", "valeur_annuelle", "codes_ignores", "classes_retenues", "etats_retenus",
               "parcours_minimum", "categories", "valeurs_femme", "valeurs_vrai", "valeurs_rsa",
               "libelles_deld", "libelles_detld", "noms_anciens", "perimetre", "contacts")
LINE_COLUMN = "ligne_source"
FILE_COLUMN = "fichier_source"


@dataclass(frozen=True)
class Rupture:
    """A break in a source's series: figures from ``annee`` on are not comparable with earlier
    ones, for the reason ``motif``; ``indicateurs`` are the indicators drawn from the source."""

    source: str
    annee: int
    motif: str
    indicateurs: tuple[str, ...]

    def texte(self) -> str:
        """The break as the report tells it."""
        return f"Rupture de série en {self.annee} : {self.motif}"


def _normalised(header: str | tuple[str, ...], millesime: int) -> str | tuple[str, ...]:
    if isinstance(header, tuple):
        return tuple(normalise_header(h.format(millesime=millesime)) for h in header)
    return normalise_header(header.format(millesime=millesime))


def _headers(value: Any) -> str | tuple[str, ...]:
    """A column's header from YAML: one text, or a list of accepted headers."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Adapter:
    """How to read one source."""

    name: str
    source: str
    titre: str
    table: str
    lecteur: str | dict[str, str]
    fichiers: tuple[str, ...]
    fichiers_exclus: tuple[str, ...] = ()
    encodage: str = "utf-8-sig"
    separateur: str = ";"
    valeurs_masquees: tuple[str, ...] = ()
    # a column's header, or the list of its accepted headers (two header styles of a portal)
    colonnes: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    millesimes: dict[int, dict[str, str | tuple[str, ...]]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    licence: str = ""
    vintage: str = ""
    facultatives: tuple[str, ...] = ()
    # columns read when present but needed by no computation: missing, a warning, the rest read
    secondaires: tuple[str, ...] = ()
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
    format_long: dict[str, Any] = field(default_factory=dict)
    ruptures: tuple[Rupture, ...] = ()
    arrondi: str = ""
    telechargement: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def column_map(self, millesime: int) -> dict[str, str | tuple[str, ...]]:
        """Table column → normalised file header (or accepted headers), for ``millesime``."""
        mapping = dict(self.colonnes)
        for year in sorted(self.millesimes):
            if year <= millesime:
                mapping.update(self.millesimes[year])
        return {k: _normalised(v, millesime) for k, v in mapping.items()}

    def ruptures_between(self, reference: int, millesime: int) -> list[Rupture]:
        """The series breaks of the source after ``reference`` and up to ``millesime``."""
        return [r for r in self.ruptures if reference < r.annee <= millesime]

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


# Every key an adapter may hold (an unknown one is an error naming the nearest known key).
FIELDS = tuple(f.name for f in fields(Adapter) if f.name not in ("name", "options"))
KNOWN_KEYS = FIELDS + OPTION_KEYS


def load_adapter(name: str, project_dir: Path | None = None) -> Adapter:
    """The adapter ``pipelines/<name>.yaml`` (the project's copy when it has one)."""
    try:
        path = resources.locate("pipelines", f"{name}.yaml", project_dir)
    except FileNotFoundError:
        raise ConfigError(f"Aucun adaptateur « {name} » (pipelines/{name}.yaml introuvable).") \
            from None
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} : YAML invalide ({exc}).") from exc
    missing = [k for k in ("source", "table", "lecteur", "fichiers", "colonnes") if k not in data]
    if missing:
        raise ConfigError(f"{path} : clé(s) obligatoire(s) absente(s) : {', '.join(missing)}.")
    known(path, "l'adaptateur", data, KNOWN_KEYS)
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
        fichiers_exclus=tuple(data.get("fichiers_exclus", ())),
        encodage=data.get("encodage", "utf-8-sig"), separateur=data.get("separateur", ";"),
        valeurs_masquees=tuple(str(v) for v in data.get("valeurs_masquees", ())),
        colonnes={k: _headers(v) for k, v in data["colonnes"].items()},
        millesimes={int(y): {k: _headers(v) for k, v in m.items()}
                    for y, m in (data.get("millesimes") or {}).items()},
        codes=dict(data.get("codes") or {}), description=data.get("description", ""),
        licence=data.get("licence", ""), vintage=str(data.get("vintage", "")),
        facultatives=tuple(data.get("facultatives", ())),
        secondaires=tuple(data.get("secondaires", ())),
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
        format_long=dict(data.get("format_long") or {}),
        ruptures=_ruptures(path, data), arrondi=str(data.get("arrondi", "")),
        telechargement=dict(data.get("telechargement") or {}),
        options={k: v for k, v in data.items() if k not in FIELDS})
    if adapter.lecteur == "long":
        check_long(path, adapter.format_long, adapter.colonnes)
    personal = [k for k, v in adapter.colonnes.items()
                if any(adapter.is_personal(normalise_header(h))
                       for h in (v if isinstance(v, tuple) else (v,)))]
    if personal:
        raise ConfigError(f"{path} : les colonnes {', '.join(personal)} sont des données "
                          "personnelles et ne peuvent pas être lues.")
    return adapter


def _ruptures(path: Path, data: dict) -> tuple[Rupture, ...]:
    """The series breaks declared under « ruptures » (année, motif, indicateurs)."""
    out = []
    for entry in data.get("ruptures") or ():
        if not isinstance(entry, dict) or not {"annee", "motif"} <= set(entry):
            raise ConfigError(f"{path} : chaque rupture déclare « annee » et « motif ».")
        out.append(Rupture(source=str(data["source"]), annee=int(entry["annee"]),
                           motif=str(entry["motif"]).strip(),
                           indicateurs=tuple(entry.get("indicateurs", ()))))
    return tuple(out)


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
    found -= {p for pattern in adapter.fichiers_exclus for p in folder.glob(pattern)}
    return sorted(found, key=lambda p: p.name)


def find_header(adapter: Adapter, header: str | tuple[str, ...],
                columns: list[str]) -> str | None:
    """The file column for a configured header: equal, or (option) starting with it; for a
    list of accepted headers, the first one the file has."""
    if isinstance(header, tuple):
        return next((c for c in (find_header(adapter, h, columns) for h in header)
                     if c is not None), None)
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
    problems, warnings = [], []
    mapping = adapter.column_map(millesime)
    headers = {h for v in mapping.values() for h in (v if isinstance(v, tuple) else (v,))}
    unmapped = [c for c in frame.columns if c not in headers]
    out = pd.DataFrame(index=frame.index)
    columns = list(frame.columns)
    for target, header in mapping.items():
        found = find_header(adapter, header, columns)
        if found is not None:
            out[target] = frame[found].astype("string").str.strip()
            continue
        if target in adapter.facultatives or target in adapter.secondaires:
            out[target] = pd.Series(pd.NA, index=frame.index, dtype="string")
            if target in adapter.secondaires:  # needed by no computation: said, the rest read
                warnings.append(secondary_missing(missing_column(
                    adapter, target, header, unmapped, millesime, display_name)))
            continue
        problems.append(missing_column(adapter, target, header, unmapped, millesime,
                                       display_name))
    if problems:
        return pd.DataFrame(), problems + warnings
    out, found_problems = finish_columns(adapter, out, first_line, display_name)
    return out, warnings + found_problems


def secondary_missing(missing: Probleme) -> Probleme:
    """The warning of a column no computation needs (``secondaires``) the file lacks: the
    column is left empty and the rest of the file is read."""
    return replace(missing, regle="source.colonne_secondaire_absente",
                   gravite=GRAVITE_AVERTISSEMENT, conseil="",
                   message=missing.message.replace(" est absente.", " est absente ; elle "
                                                   "n'est pas nécessaire aux calculs : elle "
                                                   "reste vide et le reste du fichier est lu.",
                                                   1))


def missing_column(adapter: Adapter, target: str, header: str | tuple[str, ...],
                   unmapped: list[str], millesime: int, display_name: str) -> Probleme:
    """The problem of a column the file lacks, with the nearest header of the file."""
    first = header[0] if isinstance(header, tuple) else header
    shown = " » ou « ".join(header) if isinstance(header, tuple) else header
    close = difflib.get_close_matches(first, unmapped, n=1, cutoff=0.4)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
    return Probleme(
        fichier=display_name, champ=target, regle="source.colonne_absente",
        attendu=shown, message=f"La colonne « {shown} » attendue pour {target} "
                               f"(millésime {millesime}) est absente.{hint}",
        conseil=f"Si la colonne a été renommée, indiquez son nouveau nom sous "
                f"« millesimes: {millesime}: » dans pipelines/{adapter.name}.yaml.")


def finish_columns(adapter: Adapter, out: pd.DataFrame, first_line: int, display_name: str,
                   lines: pd.Series | None = None) -> tuple[pd.DataFrame, list[Probleme]]:
    """Masked markers and empty cells made missing, codes normalised, ignored codes dropped,
    line and file columns added (rows numbered from ``first_line``, or ``lines``)."""
    problems = []
    if adapter.valeurs_masquees:
        out = out.mask(out.isin(adapter.valeurs_masquees))
    out = out.mask(out == "")
    if lines is None:
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
            ids = out[column]  # each distinct id hashed once: a person has many rows
            out[column] = ids.map({v: pseudonym(v) for v in ids.dropna().unique()})
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
