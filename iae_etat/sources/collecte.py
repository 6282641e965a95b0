"""The returns of a millésime once read: which one counts for each SIAE (save dates checked),
the suivi de la collecte and the answers read (pure)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, GRAVITE_ERREUR, GRAVITE_INFO, Probleme


@dataclass
class Envoi:
    """One returned file and what became of it."""

    fichier: str
    statut: str
    key: tuple[str, str] | None = None
    enregistre_le: str = ""
    answers: dict = field(default_factory=dict)
    residence: dict = field(default_factory=dict)
    # every answer as read, before the cross-field rules (the annotated copy shows them all)
    lues: dict = field(default_factory=dict)


def choose_latest(envois: list[Envoi]) -> list[Probleme]:
    """Two kept returns for one SIAE: the most recently saved wins, the others are reported."""
    by_key: dict[tuple[str, str], list[Envoi]] = {}
    for envoi in envois:
        if envoi.statut == "retenu":
            by_key.setdefault(envoi.key, []).append(envoi)
    problems = []
    today = datetime.date.today().isoformat()
    trusted = {}
    for envoi in envois:
        if envoi.statut != "retenu":
            continue
        trusted[envoi.fichier] = _date_problem(envoi, today, problems)
    for key, group in sorted(by_key.items()):
        group.sort(key=lambda e: (trusted[e.fichier], e.fichier))
        winner = group[-1]
        for loser in group[:-1]:
            loser.statut = "remplace"
            problems.append(Probleme(
                fichier=loser.fichier, champ="siret", valeur=key[0],
                regle="questionnaire.doublon", gravite=GRAVITE_INFO,
                attendu=winner.fichier,
                message=f"Deux questionnaires pour {key[0]} ({key[1]}) : celui-ci "
                        f"(enregistré le {loser.enregistre_le or 'date inconnue'}) est remplacé "
                        f"par {winner.fichier} (enregistré le "
                        f"{winner.enregistre_le or 'date inconnue'}).",
                conseil="Rien à faire : l'envoi remplacé reste listé, ses anomalies ne "
                        "comptent plus."))
    return problems


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")


def _date_problem(envoi: Envoi, today: str, problems: list[Probleme]) -> str:
    """The save date of ``envoi`` to rank duplicates by: a date in the future or unreadable is
    not believed (ranked as no date, before every dated return) and is flagged."""
    date = envoi.enregistre_le
    if not date:
        return ""
    if _ISO_DATE.match(date) and date[:10] <= today:
        try:
            datetime.date.fromisoformat(date[:10])
            return date
        except ValueError:
            pass
    why = "dans le futur" if _ISO_DATE.match(date) and date[:10] > today else "illisible"
    problems.append(Probleme(
        fichier=envoi.fichier, champ="enregistre_le", valeur=date,
        regle="questionnaire.date_douteuse", gravite=GRAVITE_AVERTISSEMENT,
        attendu=f"une date passée (au plus {today})",
        message=f"Date d'enregistrement {why} ({date}) : elle n'est pas crue ; s'il y a "
                "plusieurs envois pour cette structure, celui-ci compte comme non daté (un "
                "envoi daté l'emporte ; entre envois non datés, le dernier par nom de fichier).",
        conseil="Vérifiez la date de l'ordinateur de la structure ou faites-lui renvoyer le "
                "questionnaire."))
    return ""


LUES_COLUMNS = ["fichier", "champ", "valeur", "nombre"]


def lues_table(envois: list[Envoi]) -> pd.DataFrame:
    """Every answer read in each readable return (``core_reponses_lues``): the annotated copy
    sent back to the SIAE is rebuilt from these values, never by reopening its workbook."""
    rows = []
    for e in envois:
        if e.statut == "illisible":
            continue
        for champ, value in sorted(e.lues.items()):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            rows.append({"fichier": e.fichier, "champ": champ,
                         "valeur": None if number else str(value),
                         "nombre": float(value) if number else None})
    return pd.DataFrame(rows, columns=LUES_COLUMNS)


def collecte_table(envois: list[Envoi], liste: pd.DataFrame | None,
                   problemes: list[Probleme]) -> pd.DataFrame:
    """Suivi de la collecte: each file with its status, and each SIAE that sent nothing (pure)."""
    counts: dict[tuple[str, str], int] = {}
    for p in problemes:
        counts[(p.fichier, p.gravite)] = counts.get((p.fichier, p.gravite), 0) + 1
    names = {} if liste is None else dict(zip(zip(liste["siret"], liste["type_siae"],
                                                  strict=True), liste["denomination"],
                                              strict=True))
    rows = []
    for e in envois:
        siret, kind = e.key if e.key else (None, None)
        rows.append({"siret": siret, "type_siae": kind,
                     "denomination": names.get(e.key, e.answers.get("denomination")),
                     "fichier": e.fichier, "statut": e.statut, "enregistre_le": e.enregistre_le,
                     "erreurs": counts.get((e.fichier, GRAVITE_ERREUR), 0),
                     "avertissements": counts.get((e.fichier, GRAVITE_AVERTISSEMENT), 0)})
    sent = {e.key for e in envois if e.key}
    for key, denomination in sorted(names.items()):
        if key not in sent:
            rows.append({"siret": key[0], "type_siae": key[1], "denomination": denomination,
                         "fichier": None, "statut": "manquant", "enregistre_le": None,
                         "erreurs": 0, "avertissements": 0})
    return pd.DataFrame(rows, columns=["siret", "type_siae", "denomination", "fichier",
                                       "statut", "enregistre_le", "erreurs", "avertissements"])
