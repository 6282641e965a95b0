"""The ingest stage: raw files of a millésime → validated ``raw_`` and ``core_`` tables.

Every source is optional except the bundled referential: a missing source is reported with what
it leaves out, and the stage builds every table it can. A bad file never stops the batch: its
problems are recorded in ``core_anomalies`` and the rest goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from iae_etat.common.entries import Entries
from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.common.machine import available_cores
from iae_etat.common.resources import code_fingerprint
from iae_etat.common.vocabulary import QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE
from iae_etat.project.config import Projet
from iae_etat.questionnaire import layout
from iae_etat.questionnaire.controles import cross_checks
from iae_etat.questionnaire.reader import Retour, read_return
from iae_etat.sources import (
    adapters,
    ingestion,
    ingestion_besoins,
    inventory,
    reading,
    structures,
)
from iae_etat.sources.collecte import (
    LUES_COLUMNS,
    Envoi,
    choose_latest,
    collecte_table,
    lues_table,
)
from iae_etat.sources.return_cache import ReturnCache
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.contracts import load_contract
from iae_etat.tables.files import HashCache, sha256_file
from iae_etat.territoires import referentiel
from iae_etat.territoires.codes import normalise_siret

# Returns read in parallel from this many files (below, starting the processes costs more than
# it saves), by at most this many processes.
PARALLEL_FROM, MAX_READERS = 200, 8
MISSING_EFFECT = {
    "structures": "la liste des SIAE manque : les SIAE sont celles de l'extraction FluxIAE de "
                  "l'ASP quand elle est fournie, sinon celles qui ont répondu au questionnaire",
    "questionnaires": "aucun questionnaire : pas d'ETP ni de salariés, seulement le nombre de SIAE",
}


@dataclass
class IngestResult:
    """What the ingest stage read and found."""

    problemes: list[Probleme] = field(default_factory=list)
    fichiers: list[dict] = field(default_factory=list)
    sources_absentes: list[str] = field(default_factory=list)
    questionnaires_recus: int = 0
    questionnaires_retenus: int = 0
    questionnaires_manquants: int = 0
    questionnaires_ecartes: int = 0
    lues: pd.DataFrame | None = None
    # How a file read is hashed for core_sources: the build's cache, which has just hashed
    # every raw file to plan the stages, else a fresh hash.
    hasher: Callable[[Path], str] = sha256_file
    # What each source file gave, kept between builds under its content (``reading.read_file``)
    lectures: Entries | None = None


def run_ingest(projet: Projet, millesime: int, catalogue: Catalogue,
               cache: HashCache | None = None, keep_reads: bool = False) -> IngestResult:
    """Read every source of ``millesime`` and write the ingest tables into ``catalogue``
    (``cache``: the build's file hashes, reused for the provenance table; ``keep_reads``:
    what each return and each source file gave is kept for the next build, ``return_cache``
    and ``data/cache/lectures/``)."""
    result = IngestResult() if cache is None else IngestResult(hasher=cache.hash)
    if keep_reads:
        result.lectures = Entries(projet.cache_dir("lectures", millesime), writable=True,
                                  salt=code_fingerprint())
    territoires = ingestion.territoires_with_levels(
        projet, millesime, result, referentiel.territoires(list(projet.departements)))
    catalogue.write("core_territoires", territoires)

    liste = structures_in_scope(projet, millesime, result, territoires)
    if liste is not None:
        catalogue.write("raw_structures", liste)
    reponses, residence, collecte = _ingest_questionnaires(projet, millesime, result, liste,
                                                           keep_reads)
    if reponses is not None:
        catalogue.write(QUESTIONNAIRES, reponses)
        catalogue.write(QUESTIONNAIRES_RESIDENCE, residence)
    catalogue.write("core_collecte", collecte)
    catalogue.write("core_reponses_lues", result.lues if result.lues is not None
                    else pd.DataFrame(columns=LUES_COLUMNS))
    result.questionnaires_manquants = int((collecte["statut"] == "manquant").sum())
    result.questionnaires_ecartes = int(collecte["statut"].isin(["ecarte", "illisible"]).sum())
    ingestion_besoins.ingest_besoins(projet, millesime, catalogue, result, territoires)
    asp = ingestion.read_asp(projet, millesime, result)
    fluxiae = ingestion.ingest_fluxiae(projet, millesime, catalogue, result, territoires,
                                       reponses, asp)
    catalogue.write("core_structures", core_structures(liste, reponses, territoires, fluxiae))
    ingestion.ingest_bilan(catalogue, result, reponses, asp, millesime)

    result.problemes.extend(inventory.misplaced(projet, millesime))
    catalogue.write("core_sources", pd.DataFrame(result.fichiers,
                                                 columns=reading.SOURCES_COLUMNS))
    catalogue.write("core_anomalies", pd.DataFrame(
        [p.as_row() for p in result.problemes], columns=list(Probleme.COLUMNS)))
    if result.lectures is not None:
        result.lectures.prune()
    return result


def structures_in_scope(projet: Projet, millesime: int, result: IngestResult,
                        territoires: pd.DataFrame) -> pd.DataFrame | None:
    """The SIAE list of ``millesime`` restricted to the project's territory (None if absent)."""
    liste = _ingest_structures(projet, millesime, result)
    if liste is None:
        return None
    return liste[liste["code_commune"].isin(territoires["code_commune"])
                 | (liste["code_commune"].isna()
                    & liste["code_departement"].isin(projet.departements))]


def previous_answers(projet: Projet, millesime: int) -> dict[tuple[str, str], dict]:
    """The kept answers of the returns of ``millesime`` by (SIRET, type), read from data/raw/."""
    folder = projet.raw_dir("questionnaires", millesime)
    if not folder.is_dir():
        return {}
    contract = load_contract(QUESTIONNAIRES, projet.dir)
    residence_contract = load_contract(QUESTIONNAIRES_RESIDENCE, projet.dir)
    files = reading.admitted(projet, IngestResult(), folder.glob("*"))
    cache = return_cache(projet, millesime, sha256_file, contract, residence_contract)
    envois = [envoi for envoi, _ in read_envois([(p, _relative(projet, p)) for p in files],
                                                contract, residence_contract, millesime, None,
                                                cache)]
    choose_latest(envois)
    return {e.key: e.answers for e in envois if e.statut == "retenu"}


def return_cache(projet: Projet, millesime: int, hasher: Callable[[Path], str], contract,
                 residence_contract, writable: bool = False) -> ReturnCache:
    """The returns of ``millesime`` already read (``data/cache/retours/``)."""
    return ReturnCache(projet.cache_dir("retours", millesime), hasher, contract,
                       residence_contract, writable)


def _relative(projet: Projet, path: Path) -> str:
    return reading.relative(projet, path)


def _record(result: IngestResult, projet: Projet, source: str, path: Path, adapter: str,
            titre: str, licence: str, table: str, vintage: str) -> None:
    reading.record(result, projet, source, path, adapter, titre, licence, table, vintage)


def _missing(result: IngestResult, projet: Projet, source: str, millesime: int) -> None:
    reading.report_missing(result, projet, source, millesime, MISSING_EFFECT[source])


def _ingest_structures(projet: Projet, millesime: int,
                       result: IngestResult) -> pd.DataFrame | None:
    """The ASP list and the emplois de l'inclusion files; the ASP list wins on duplicates."""
    liste, _, found = reading.read_adapter(projet, millesime, result, "structures")
    emplois = ingestion.structures_emplois(projet, millesime, result)
    if not found and emplois is None:
        _missing(result, projet, "structures", millesime)
    if emplois is not None:
        if liste is not None:
            listed = set(zip(liste["siret"], liste["type_siae"].str.upper(), strict=True))
            emplois = emplois[[k not in listed for k in zip(emplois["siret"],
                                                              emplois["type_siae"],
                                                              strict=True)]]
        liste = pd.concat([x for x in (liste, emplois) if x is not None], ignore_index=True)
    if liste is None:
        return None
    liste = liste.dropna(subset=["siret", "type_siae"])
    liste["type_siae"] = liste["type_siae"].str.upper()
    renamed = adapters.load_adapter("structures", projet.dir).options.get("noms_anciens") or {}
    index = structures.commune_index(referentiel.communes(), referentiel.communes_anciennes(),
                                     {str(k): list(v) for k, v in renamed.items()}, liste)
    liste, problems = structures.match_communes(liste, index)
    result.problemes.extend(problems)
    duplicated = liste.duplicated(["siret", "type_siae"], keep="first")
    for row in liste[duplicated].itertuples(index=False):
        result.problemes.append(Probleme(
            fichier=getattr(row, adapters.FILE_COLUMN),
            cellule=f"ligne {getattr(row, adapters.LINE_COLUMN)}", champ="siret",
            valeur=row.siret, regle="structures.doublon", gravite=GRAVITE_AVERTISSEMENT,
            message=f"La structure {row.siret} ({row.type_siae}) apparaît deux fois ; "
                    "la première ligne est retenue."))
    return liste[~duplicated].reset_index(drop=True)


def _ingest_questionnaires(projet: Projet, millesime: int, result: IngestResult,
                           liste: pd.DataFrame | None, keep_reads: bool = False
                           ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame]:
    """Returns of ``millesime`` → (answers, residence by EPCI, suivi de la collecte)."""
    folder = projet.raw_dir("questionnaires", millesime)
    files = reading.admitted(projet, result, folder.glob("*")) if folder.is_dir() else []
    if not files:
        _missing(result, projet, "questionnaires", millesime)
        return None, None, collecte_table([], liste, [])
    contract = load_contract(QUESTIONNAIRES, projet.dir)
    residence_contract = load_contract(QUESTIONNAIRES_RESIDENCE, projet.dir)
    known = set(zip(liste["siret"], liste["type_siae"], strict=True)) if liste is not None \
        else None
    for path in files:
        _record(result, projet, "questionnaires", path, "questionnaire", contract.title, "",
                QUESTIONNAIRES, str(millesime))
        result.questionnaires_recus += 1
    envois = []
    cache = return_cache(projet, millesime, result.hasher, contract, residence_contract,
                         keep_reads)
    for envoi, problems in read_envois([(p, _relative(projet, p)) for p in files], contract,
                                       residence_contract, millesime, known, cache):
        result.problemes.extend(problems)
        envois.append(envoi)
    cache.prune()
    result.problemes.extend(choose_latest(envois))
    # a superseded return stays listed, but its problems no longer count anywhere (except why
    # it was superseded: a duplicate, and a save date not believed)
    replaced = {e.fichier for e in envois if e.statut == "remplace"}
    result.problemes = [p for p in result.problemes if p.fichier not in replaced
                        or p.regle in ("questionnaire.doublon", "questionnaire.date_douteuse")]
    result.lues = lues_table(envois)
    kept = [e for e in envois if e.statut == "retenu"]
    result.questionnaires_retenus = len(kept)
    reponses = pd.DataFrame([e.answers for e in kept], columns=contract.columns)
    residence = pd.DataFrame(
        [{"siret": e.key[0], "type_siae": e.key[1], "code_epci": code, "salaries": n}
         for e in kept for code, n in sorted(e.residence.items())],
        columns=residence_contract.columns)
    return reponses, residence, collecte_table(envois, liste, result.problemes)


def read_envois(files: list[tuple[Path, str]], contract, residence_contract, millesime: int,
                known: set | None, cache: ReturnCache | None = None
                ) -> list[tuple[Envoi, list[Probleme]]]:
    """``read_envoi`` on each ``(path, name)``, in order. The files ``cache`` does not hold
    are read, a large batch (a region, the country) by processes forked on every core, a
    département's in this one, and kept in ``cache``."""
    keys = [cache.key(path, name) for path, name in files] if cache is not None \
        else [None] * len(files)
    retours = [cache.retour(key) if cache is not None else None for key in keys]
    missing = [i for i, retour in enumerate(retours) if retour is None]
    for i, retour in zip(missing, _read_returns([files[i] for i in missing], contract,
                                                residence_contract), strict=True):
        retours[i] = retour
        if cache is not None:
            cache.put(keys[i], retour)
    return [judge(retour, path, contract, millesime, known)
            for (path, _), retour in zip(files, retours, strict=True)]


def _read_returns(files: list[tuple[Path, str]], contract, residence_contract) -> list[Retour]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    read = partial(_read_return, contract=contract, residence_contract=residence_contract)
    workers = min(available_cores(), MAX_READERS)
    if workers < 2 or len(files) < PARALLEL_FROM \
            or "fork" not in multiprocessing.get_all_start_methods():
        return [read(job) for job in files]
    first = read(files[0])  # every module the readers need is loaded before the fork
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return [first, *pool.map(read, files[1:], chunksize=64)]


def _read_return(job: tuple[Path, str], contract, residence_contract) -> Retour:
    return read_return(job[0], contract, job[1], residence_contract)


def read_envoi(path: Path, name: str, contract, residence_contract, millesime: int,
               known: set | None) -> tuple[Envoi, list[Probleme]]:
    """Read, check and judge one returned file; never raises on a bad file."""
    return judge(read_return(path, contract, name, residence_contract), path, contract,
                 millesime, known)


def judge(retour: Retour, path: Path, contract, millesime: int,
          known: set | None) -> tuple[Envoi, list[Probleme]]:
    """One return read from ``path``: kept (its answers checked against each other), set
    aside, or unreadable, with its problems."""
    name = retour.fichier
    problems = list(retour.problemes)
    if not retour.readable:
        return Envoi(name, "illisible"), problems
    key = None
    if "siret" in retour.answers and "type_siae" in retour.answers:
        key = (retour.answers["siret"], retour.answers["type_siae"])
    lues = {**retour.answers, **{layout.residence_code(code): n
                                 for code, n in retour.residence.items()}}
    envoi = Envoi(name, "ecarte", key, retour.enregistre_le, retour.answers, lues=lues)
    rejection = _rejection(retour, contract, millesime, known)
    if rejection is not None:
        return envoi, problems + [rejection]
    if key[0] not in path.name:
        problems.append(Probleme(
            fichier=name, champ="siret", valeur=path.name, regle="questionnaire.fichier_renomme",
            gravite=GRAVITE_AVERTISSEMENT, attendu=f"{key[0]}_{key[1]}.xlsx",
            message=f"Le nom du fichier ne contient pas le SIRET {key[0]} : la structure est "
                    "identifiée par son questionnaire.",
            conseil="Gardez le nom du fichier envoyé (SIRET_type.xlsx)."))
    titles = {f.name: f.title for f in contract.fields}
    answers, residence, cross = cross_checks(retour.answers, retour.residence, retour.cells,
                                             name, titles)
    problems.extend(cross)
    envoi.statut, envoi.answers, envoi.residence = "retenu", answers, residence
    return envoi, problems


def _rejection(retour, contract, millesime: int, known: set | None) -> Probleme | None:
    """Why a readable return is set aside as a whole, or None when it is kept."""
    missing = [f.title for f in contract.fields if f.required and f.name not in retour.answers]
    if missing:
        return Probleme(fichier=retour.fichier, regle="questionnaire.identite_incomplete",
                        message="Questionnaire écarté : identification incomplète ("
                                + ", ".join(missing) + ").",
                        conseil="Complétez l'onglet Identité et renvoyez le classeur.")
    key = (retour.answers["siret"], retour.answers["type_siae"])
    stamped = retour.stamp.get("millesime")
    if stamped and stamped != str(millesime):
        sheet, cell = retour.stamp_cells["millesime"]
        return Probleme(fichier=retour.fichier, feuille=sheet, cellule=cell, champ="millesime",
                        valeur=stamped, attendu=str(millesime),
                        regle="questionnaire.millesime_errone",
                        message=f"Questionnaire écarté : il porte sur {stamped}, "
                                f"pas sur {millesime}.",
                        conseil="Déposez-le dans le dossier de son millésime.")
    version = retour.stamp.get("version_contrat")
    if version and version != contract.version:
        sheet, cell = retour.stamp_cells["version_contrat"]
        return Probleme(fichier=retour.fichier, feuille=sheet, cellule=cell,
                        champ="version_contrat", valeur=version, attendu=contract.version,
                        regle="questionnaire.version_contrat",
                        message=f"Questionnaire écarté : modèle de questionnaire {version}, "
                                f"alors que le modèle en vigueur est {contract.version}.",
                        conseil="Envoyez à la structure le questionnaire de l'année (iae-etat "
                                "questionnaire) et demandez-lui de le remplir.")
    stamped_id = (normalise_siret(retour.stamp.get("siret")), retour.stamp.get("type_siae"))
    if all(stamped_id) and stamped_id != key:
        sheet, cell = retour.cells.get("siret", ("", ""))
        return Probleme(fichier=retour.fichier, feuille=sheet, cellule=cell, champ="siret",
                        valeur=f"{key[0]} ({key[1]})",
                        attendu=f"{stamped_id[0]} ({stamped_id[1]})",
                        regle="questionnaire.identite_incoherente",
                        message=f"Questionnaire écarté : il a été envoyé à {stamped_id[0]} "
                                f"({stamped_id[1]}) mais l'onglet Identité indique {key[0]} "
                                f"({key[1]}) ; impossible de savoir quelle structure a répondu.",
                        conseil="Faites confirmer par la structure et renvoyez son propre "
                                "questionnaire.")
    if known is not None and key not in known:
        sheet, cell = retour.cells.get("siret", ("", ""))
        return Probleme(fichier=retour.fichier, feuille=sheet, cellule=cell, champ="siret",
                        valeur=key[0], regle="questionnaire.siae_inconnue",
                        message=f"Questionnaire écarté : la SIAE {key[0]} ({key[1]}) n'est pas "
                                "dans la liste des structures du périmètre.",
                        conseil="Vérifiez le SIRET et le type, ou complétez la liste des SIAE.")
    return None


def core_structures(liste: pd.DataFrame | None, reponses: pd.DataFrame | None,
                    territoires: pd.DataFrame, asp: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per SIAE of the scope with its answers (pure).

    The SIAE are those of the list; without a list, those of the FluxIAE extract (``asp``,
    ``core_asp``: every conventioned SIAE of the scope, at the commune the ASP gives) and the
    respondents it lacks, else the respondents alone (at the commune of their siège)."""
    columns = ["siret", "type_siae", "denomination", "code_commune"]
    figures = ["etp_conventionnes", "etp_realises", "salaries_annee"]
    answered = reponses if reponses is not None else pd.DataFrame(
        columns=["siret", "type_siae", "denomination", "code_commune_siege", *figures])
    if liste is None:
        base = answered.rename(columns={"code_commune_siege": "code_commune"})[columns]
        base = base[base["code_commune"].isin(territoires["code_commune"])]
        if asp is not None:
            base = pd.concat([asp[columns], base], ignore_index=True) \
                .drop_duplicates(["siret", "type_siae"])
    else:
        base = liste[columns]
    out = base.merge(answered[["siret", "type_siae", *figures]], on=["siret", "type_siae"],
                     how="left", indicator=True)
    out["a_repondu"] = out.pop("_merge") == "both"
    return out.reset_index(drop=True)
