"""Reconciliation of the ASP figures with the questionnaire answers (pure).

Where a structure (SIRET, type) appears in both, each shared figure is compared; a difference
larger than the tolerance becomes a warning in the controls, with a stable rule code per figure
(``rapprochement.etp_realises``…), so that the DDETS can ask the structure which one is right.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme

FIGURES = {
    "etp_conventionnes": "ETP conventionnés",
    "etp_realises": "ETP réalisés",
    "salaries_annee": "Salariés en insertion sur l'année",
    "sorties": "Sorties",
    "sorties_durables": "Sorties en emploi durable",
    "sorties_transition": "Sorties en emploi de transition",
    "sorties_positives": "Sorties positives",
}
TOLERANCE_RELATIVE = 0.10
TOLERANCE_ABSOLUE = 2.0


def _french(value: float) -> str:
    text = f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return text.removesuffix(",0")


def reconcile(asp: pd.DataFrame, reponses: pd.DataFrame, source: str,
              relative: float = TOLERANCE_RELATIVE, absolute: float = TOLERANCE_ABSOLUE
              ) -> list[Probleme]:
    """Differences between ``asp`` and ``reponses`` on the figures both carry.

    A difference is reported when it exceeds both ``absolute`` and ``relative`` × the ASP value.
    """
    keys = ["siret", "type_siae"]
    figures = [f for f in FIGURES if f in asp.columns and f in reponses.columns]
    joined = asp[[*keys, *figures]].merge(reponses[[*keys, *figures]], on=keys,
                                          suffixes=("_asp", "_q"))
    problems = []
    for row in joined.sort_values(keys).to_dict("records"):
        for figure in figures:
            ours, theirs = row[f"{figure}_q"], row[f"{figure}_asp"]
            try:
                ours, theirs = float(ours), float(theirs)
            except (TypeError, ValueError):
                continue
            if pd.isna(ours) or pd.isna(theirs):
                continue
            gap = abs(ours - theirs)
            if gap <= absolute or gap <= relative * abs(theirs):
                continue
            share = f" ({gap / abs(theirs):.0%} de l'ASP)".replace("%", "\u00a0%") \
                if theirs else ""
            problems.append(Probleme(
                fichier=f"questionnaire {row['siret']} {row['type_siae']}", champ=figure,
                valeur=_french(ours), attendu=_french(theirs), regle=f"rapprochement.{figure}",
                gravite=GRAVITE_AVERTISSEMENT,
                message=f"{FIGURES[figure]} : {_french(ours)} dans le "
                        f"questionnaire, {_french(theirs)} selon {source} ; écart de "
                        f"{_french(gap)}{share}.",
                conseil="Vérifiez le chiffre avec la structure ; l'ASP compte selon les règles "
                        "du bilan (parcours minimal, heures d'un ETP de référence)."))
    return problems
