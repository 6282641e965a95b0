"""The ingest stage: raw files of a millésime → validated ``raw_`` and ``core_`` tables.

Every source is optional except the bundled referential: a missing source is reported with what
it leaves out, and the stage builds every table it can. A bad file never stops the batch: its
problems are recorded in ``core_anomalies`` and the rest goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iae_etat import referentiel
from iae_etat.catalogue import Catalogue
from iae_etat.config import Projet
from iae_etat.contracts import load_contract
from iae_etat.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.questionnaire.layout import CONTRACT_NAME
from iae_etat.questionnaire.reader import read_return
from iae_etat.sources import adapters, ingestion, lecture, structures

MISSING_EFFECT = {
    "structures": "la liste des SIAE manque : l'offre ne compte que les SIAE ayant répondu au "
                  "questionnaire",
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


def run_ingest(projet: Projet, millesime: int, catalogue: Catalogue) -> IngestResult:
    """Read every source of ``millesime`` and write the ingest tables into ``catalogue``."""
    result = IngestResult()
    territoires = ingestion.territoires_with_levels(
        projet, millesime, result, referentiel.territoires(list(projet.departements)))
    catalogue.write("core_territoires", territoires)

    liste = _ingest_structures(projet, millesime, result)
    if liste is not None:
        liste = liste[liste["code_commune"].isin(territoires["code_commune"])
                      | (liste["code_commune"].isna()
                         & liste["code_departement"].isin(projet.departements))]
        catalogue.write("raw_structures", liste)
    reponses = _ingest_questionnaires(projet, millesime, result, liste)
    if reponses is not None:
        catalogue.write(CONTRACT_NAME, reponses)
    catalogue.write("core_structures", core_structures(liste, reponses, territoires))

    ingestion.ingest_besoins(projet, millesime, catalogue, result, territoires)
    ingestion.ingest_asp(projet, millesime, catalogue, result, territoires, reponses)

    catalogue.write("core_sources", pd.DataFrame(result.fichiers,
                                                 columns=lecture.SOURCES_COLUMNS))
    catalogue.write("core_anomalies", pd.DataFrame(
        [p.as_row() for p in result.problemes], columns=list(Probleme.COLUMNS)))
    return result


def _relative(projet: Projet, path: Path) -> str:
    return path.relative_to(projet.dir).as_posix()


def _record(result: IngestResult, projet: Projet, source: str, path: Path, adapter: str,
            titre: str, licence: str, table: str, vintage: str) -> None:
    lecture.record(result, projet, source, path, adapter, titre, licence, table, vintage)


def _missing(result: IngestResult, projet: Projet, source: str, millesime: int) -> None:
    lecture.report_missing(result, projet, source, millesime, MISSING_EFFECT[source])


def _ingest_structures(projet: Projet, millesime: int,
                       result: IngestResult) -> pd.DataFrame | None:
    """The ASP list and the emplois de l'inclusion files; the ASP list wins on duplicates."""
    liste, _, found = lecture.read_adapter(projet, millesime, result, "structures")
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
                                     {str(k): list(v) for k, v in renamed.items()})
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
                           liste: pd.DataFrame | None) -> pd.DataFrame | None:
    folder = projet.raw_dir("questionnaires", millesime)
    files = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")) \
        if folder.is_dir() else []
    if not files:
        _missing(result, projet, "questionnaires", millesime)
        return None
    contract = load_contract(CONTRACT_NAME, projet.dir)
    known = set(zip(liste["siret"], liste["type_siae"], strict=True)) if liste is not None \
        else None
    rows: dict[tuple[str, str], dict] = {}
    for path in files:
        name = _relative(projet, path)
        _record(result, projet, "questionnaires", path, "questionnaire", contract.title, "",
                CONTRACT_NAME, str(millesime))
        result.questionnaires_recus += 1
        retour = read_return(path, contract, name)
        result.problemes.extend(retour.problemes)
        if not retour.readable:
            continue
        rejection = _rejection(retour, contract, millesime, known)
        if rejection is not None:
            result.problemes.append(rejection)
            continue
        key = (retour.answers["siret"], retour.answers["type_siae"])
        if key in rows:
            result.problemes.append(Probleme(
                fichier=name, champ="siret", valeur=key[0], regle="questionnaire.doublon",
                gravite=GRAVITE_AVERTISSEMENT,
                message=f"Deuxième questionnaire pour {key[0]} ({key[1]}) : celui-ci remplace "
                        f"{rows[key]['_fichier']}."))
        rows[key] = {**retour.answers, "_fichier": name}
    result.questionnaires_retenus = len(rows)
    frame = pd.DataFrame(list(rows.values()), columns=[*contract.columns, "_fichier"])
    return frame.drop(columns="_fichier")


def _rejection(retour, contract, millesime: int, known: set | None) -> Probleme | None:
    """Why a readable return is set aside as a whole, or None when it is kept."""
    missing = [f.title for f in contract.fields if f.required and f.name not in retour.answers]
    if missing:
        return Probleme(fichier=retour.fichier, regle="questionnaire.identite_incomplete",
                        message="Questionnaire écarté : identification incomplète ("
                                + ", ".join(missing) + ").",
                        conseil="Complétez l'onglet Identité et renvoyez le classeur.")
    stamped = retour.stamp.get("millesime")
    if stamped and stamped != str(millesime):
        return Probleme(fichier=retour.fichier, feuille="_tampon", champ="millesime",
                        valeur=stamped, attendu=str(millesime),
                        regle="questionnaire.millesime_errone",
                        message=f"Questionnaire écarté : il porte sur {stamped}, "
                                f"pas sur {millesime}.",
                        conseil="Déposez-le dans le dossier de son millésime.")
    key = (retour.answers["siret"], retour.answers["type_siae"])
    if known is not None and key not in known:
        return Probleme(fichier=retour.fichier, champ="siret", valeur=key[0],
                        regle="questionnaire.siae_inconnue",
                        message=f"Questionnaire écarté : la SIAE {key[0]} ({key[1]}) n'est pas "
                                "dans la liste des structures du périmètre.",
                        conseil="Vérifiez le SIRET et le type, ou complétez la liste des SIAE.")
    return None


def core_structures(liste: pd.DataFrame | None, reponses: pd.DataFrame | None,
                    territoires: pd.DataFrame) -> pd.DataFrame:
    """One row per SIAE of the scope with its answers (pure)."""
    columns = ["siret", "type_siae", "denomination", "code_commune"]
    figures = ["etp_conventionnes", "etp_realises", "salaries_annee"]
    answered = reponses if reponses is not None else pd.DataFrame(
        columns=["siret", "type_siae", "denomination", "code_commune_siege", *figures])
    if liste is None:
        base = answered.rename(columns={"code_commune_siege": "code_commune"})[columns]
        base = base[base["code_commune"].isin(territoires["code_commune"])]
    else:
        base = liste[columns]
    out = base.merge(answered[["siret", "type_siae", *figures]], on=["siret", "type_siae"],
                     how="left", indicator=True)
    out["a_repondu"] = out.pop("_merge") == "both"
    return out.reset_index(drop=True)
