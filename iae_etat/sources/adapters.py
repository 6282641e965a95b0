"""Declarative source adapters (``pipelines/<source>.yaml``) and the code that runs them.

An adapter says how to read a source: file patterns, reader (``csv``, ``xlsx``, ``json``,
``fluxiae``), encoding, separator, masked-value markers, personal columns to drop at load, and
the column map from the normalised headers of the file to the columns of its table. The map can
change per millésime (``millesimes:``), so a renamed column in a new year is one line of YAML,
never code.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from iae_etat import resources
from iae_etat.codes import (
    normalise_commune,
    normalise_departement,
    normalise_epci,
    normalise_siret,
    normalise_zone_emploi,
)
from iae_etat.errors import ConfigError, Probleme
from iae_etat.questionnaire.securite import CFB_SIGNATURE

CODE_NORMALISERS = {"commune": normalise_commune, "departement": normalise_departement,
                    "siret": normalise_siret, "zone_emploi": normalise_zone_emploi,
                    "epci": normalise_epci}
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


def find_files(adapter: Adapter, folder: Path) -> list[Path]:
    """The files of ``folder`` matching the adapter's patterns, sorted by name."""
    if not folder.is_dir():
        return []
    found = {p for pattern in adapter.fichiers for p in folder.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.name)


def read_source(adapter: Adapter, path: Path, millesime: int,
                display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one file of the adapter with its reader, into the table's columns (text)."""
    return READERS[adapter.reader_for(path)](adapter, path, millesime, display_name)


def _open_text(path: Path, encoding: str) -> str:
    """The text of a file, gunzipped when its name ends with ``.gz``."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode(encoding)


def _encoding_problem(adapter: Adapter, display_name: str) -> Probleme:
    return Probleme(
        fichier=display_name, regle="source.encodage",
        message=f"Le fichier n'est pas encodé en {adapter.encodage}.",
        conseil=f"Enregistrez-le en {adapter.encodage} ou modifiez « encodage » dans "
                f"pipelines/{adapter.name}.yaml.")


def _drop_personal(adapter: Adapter, frame: pd.DataFrame) -> pd.DataFrame:
    """Personal columns never leave the reader; a year may be kept from a personal date first."""
    frame = frame.copy()
    for target, date_column in adapter.annee_de.items():
        if date_column in frame.columns and target not in frame.columns:
            frame[target] = frame[date_column].astype("string").str.strip().str[-4:]
    return frame[[c for c in frame.columns if not adapter.is_personal(c)]]


def pseudonym(value: str) -> str:
    """A stable pseudonym of an identifier (SHA-256, 16 hexadecimal characters)."""
    return hashlib.sha256(f"iae-etat|{value}".encode()).hexdigest()[:16]


def read_fluxiae_source(adapter: Adapter, path: Path, millesime: int,
                        display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read an ASP FluxIAE export: ``|``, optional ``DEB``/``FIN`` lines, BOM, no quoting.

    A physical line that does not have the header's number of fields belongs to the previous
    record (a line break inside a field) and is joined to it.
    """
    try:
        text = _open_text(path, adapter.encodage)
    except UnicodeDecodeError:
        return pd.DataFrame(), [_encoding_problem(adapter, display_name)]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = 1
    if lines and lines[0].startswith("DEB"):
        lines, first = lines[1:], 2
    while lines and not lines[-1]:
        lines.pop()
    if lines and lines[-1].startswith("FIN"):
        lines.pop()
    if not lines:
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.fichier_vide",
                                         message="Le fichier ne contient pas d'en-tête.")]
    sep = adapter.separateur
    header = [normalise_header(h) for h in lines[0].split(sep)]
    records: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Probleme] = []
    pending, start = "", 0
    for offset, line in enumerate(lines[1:], start=first + 1):
        if pending:
            pending += line
        else:
            pending, start = line, offset
        count = pending.count(sep) + 1
        if count < len(header):
            continue
        fields = pending.split(sep)
        if count > len(header):
            problems.append(Probleme(
                fichier=display_name, cellule=f"ligne {start}", regle="source.champs_en_trop",
                valeur=str(count), attendu=str(len(header)),
                message=f"Ligne {start} : {count} champs au lieu de {len(header)} ; "
                        "la ligne est écartée."))
        else:
            records.append(fields)
            numbers.append(start)
        pending = ""
    if pending:
        problems.append(Probleme(
            fichier=display_name, cellule=f"ligne {start}", regle="source.ligne_incomplete",
            message=f"Ligne {start} : enregistrement incomplet en fin de fichier ; écarté."))
    frame = pd.DataFrame(records, columns=header, dtype=object).astype("string")
    frame = _drop_personal(adapter, frame)
    out, mapped = map_columns(adapter, frame, millesime, display_name, first_line=first + 1)
    if not out.empty:
        out[LINE_COLUMN] = pd.Series(numbers, dtype="int64")
    return out, problems + mapped


def read_xlsx_source(adapter: Adapter, path: Path, millesime: int,
                     display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one sheet of a workbook (calamine), as text, the header row found by content."""
    from python_calamine import CalamineWorkbook

    refused = _unsafe_workbook(path)
    if refused:
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.classeur_refuse",
                                         message=f"Classeur refusé : {refused}.")]
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several private error types
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.classeur_illisible",
                                         message=f"Le classeur ne peut pas être lu ({exc}).")]
    sheet = adapter.feuille or workbook.sheet_names[0]
    if sheet not in workbook.sheet_names:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, feuille=sheet, regle="source.feuille_absente",
            message=f"La feuille « {sheet} » est absente du classeur "
                    f"(feuilles : {', '.join(workbook.sheet_names)}).",
            conseil=f"Indiquez le nom de la feuille sous « feuille » dans "
                    f"pipelines/{adapter.name}.yaml.")]
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header_index = 0
    if adapter.entete_contient:
        found = [i for i, row in enumerate(rows[:30])
                 if adapter.entete_contient in {normalise_header(c) for c in row}]
        if not found:
            return pd.DataFrame(), [Probleme(
                fichier=display_name, feuille=sheet, regle="source.entete_introuvable",
                attendu=adapter.entete_contient,
                message=f"Aucune ligne d'en-tête contenant « {adapter.entete_contient} » dans "
                        "les 30 premières lignes.")]
        header_index = found[0]
    if not rows:
        return pd.DataFrame(), [Probleme(fichier=display_name, feuille=sheet,
                                         regle="source.fichier_vide",
                                         message="La feuille est vide.")]
    header = [normalise_header(c) for c in rows[header_index]]
    body = [[_cell_text(c) for c in row] for row in rows[header_index + 1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype("string")
    frame = _drop_personal(adapter, frame.loc[:, [bool(h) for h in header]])
    out, problems = map_columns(adapter, frame, millesime, display_name,
                                first_line=header_index + 2)
    return out, [_with_sheet(p, sheet) for p in problems]


MAX_UNZIPPED = 512 * 1024 * 1024
MAX_RATIO = 200


def _unsafe_workbook(path: Path) -> str | None:
    """Why a workbook must not be parsed (encrypted, macros, zip bomb), or None."""
    with path.open("rb") as handle:
        if handle.read(len(CFB_SIGNATURE)) == CFB_SIGNATURE:
            return "fichier chiffré ou ancien format Excel (.xls), enregistrez-le en .xlsx"
    if not zipfile.is_zipfile(path):
        return None  # not a zip: calamine reports it
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if any(e.filename.lower().endswith("vbaproject.bin") for e in entries):
            return "il contient des macros"
        unzipped = sum(e.file_size for e in entries)
        packed = sum(e.compress_size for e in entries) or 1
        if unzipped > MAX_UNZIPPED or unzipped / packed > MAX_RATIO or len(entries) > 10_000:
            return "archive anormalement volumineuse une fois décompressée"
    return None


def _with_sheet(probleme: Probleme, sheet: str) -> Probleme:
    return replace(probleme, feuille=sheet)


def _cell_text(value: Any) -> str:
    """A workbook cell as text: integral floats without ``.0``, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_json_source(adapter: Adapter, path: Path, millesime: int,
                     display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read a JSON document: the list of records under ``enregistrements`` (or the root)."""
    try:
        data = json.loads(_open_text(path, adapter.encodage))
    except UnicodeDecodeError:
        return pd.DataFrame(), [_encoding_problem(adapter, display_name)]
    except json.JSONDecodeError as exc:
        return pd.DataFrame(), [Probleme(
            fichier=display_name, cellule=f"ligne {exc.lineno}", regle="source.json_invalide",
            message=f"Le fichier JSON est invalide ligne {exc.lineno} ({exc.msg}).")]
    records = data.get(adapter.enregistrements) if adapter.enregistrements and \
        isinstance(data, dict) else data
    if not isinstance(records, list):
        return pd.DataFrame(), [Probleme(
            fichier=display_name, regle="source.json_invalide",
            attendu=adapter.enregistrements or "liste",
            message="Le fichier JSON ne contient pas de liste d'enregistrements.")]
    flat = [{normalise_header(k): _cell_text(v) for k, v in r.items()
             if not isinstance(v, list | dict)} for r in records if isinstance(r, dict)]
    frame = pd.DataFrame(flat, dtype=object).astype("string").fillna("")
    frame = _drop_personal(adapter, frame)
    return map_columns(adapter, frame, millesime, display_name, first_line=1)


def read_csv_source(adapter: Adapter, path: Path, millesime: int,
                    display_name: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """Read one CSV file of the adapter into the table's columns (text), with problems."""
    try:
        frame = pd.read_csv(io.StringIO(_open_text(path, adapter.encodage)),
                            sep=adapter.separateur, dtype=str, keep_default_na=False,
                            engine="c")
    except UnicodeDecodeError:
        return pd.DataFrame(), [_encoding_problem(adapter, display_name)]
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return pd.DataFrame(), [Probleme(fichier=display_name, regle="source.csv_illisible",
                                         message=f"Le fichier CSV ne peut pas être lu ({exc}).")]
    frame.columns = [normalise_header(c) for c in frame.columns]
    frame = _drop_personal(adapter, frame)
    return map_columns(adapter, frame, millesime, display_name, first_line=2)


READERS = {"csv": read_csv_source, "xlsx": read_xlsx_source, "json": read_json_source,
           "fluxiae": read_fluxiae_source}


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
                message=f"« {raw[idx]} » n'est pas un code de {kind} valide (ligne {lines[idx]})."))
        out[column] = normalised
    for column in adapter.hachees:
        if column in out.columns:
            out[column] = out[column].map(lambda v: v if pd.isna(v) else pseudonym(v))
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
