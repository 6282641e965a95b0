"""Cross-field rules of one return (pure): parts within totals, sorties that add up, plausible ETP.

Each rule names the cell of the answer it doubts. A violated rule whose fault cannot be placed
without ambiguity sets the doubtful answers aside (an error); a mere implausibility is a warning
and keeps the answers.
"""

from __future__ import annotations

from typing import Any

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme

# (part, total): a « dont » can never exceed its total.
PARTS = (
    *[(part, "salaries_annee") for part in (
        "femmes", "hommes", "age_moins_26", "age_26_49", "age_50_plus", "brsa", "ass", "aah",
        "rqth", "deld", "detld", "residents_qpv", "residents_frr", "niveau_infra_cap",
        "niveau_cap_bep", "niveau_non_certifiant", "salaries_31_12", "entrees", "sorties")],
    *[(part, "salaries_31_12") for part in (
        "femmes_31_12", "hommes_31_12", "age_moins_26_31_12", "age_26_49_31_12",
        "age_50_plus_31_12", "brsa_31_12", "rqth_31_12", "detld_31_12", "residents_qpv_31_12",
        "niveau_infra_cap_31_12")],
    ("entrees_brsa", "entrees"),
    ("entrees_brsa", "brsa"),
)
# Groups that split a total completely: a different sum is worth a look (warning).
SPLITS = (
    ("salaries_annee", ("femmes", "hommes"), "par sexe"),
    ("salaries_annee", ("age_moins_26", "age_26_49", "age_50_plus"), "par âge"),
    ("salaries_31_12", ("femmes_31_12", "hommes_31_12"), "par sexe"),
    ("salaries_31_12", ("age_moins_26_31_12", "age_26_49_31_12", "age_50_plus_31_12"),
     "par âge"),
)
SORTIES_CATEGORIES = ("sorties_durables", "sorties_transition", "sorties_positives",
                      "sorties_autres", "sorties_retraits")
ETP_TOLERANCE = 0.30


def cross_checks(answers: dict[str, Any], residence: dict[str, int],
                 cells: dict[str, tuple[str, str]], fichier: str,
                 titles: dict[str, str]) -> tuple[dict[str, Any], dict[str, int], list[Probleme]]:
    """The answers and residence split kept after the cross-field rules, and the problems."""
    kept = dict(answers)
    problems: list[Probleme] = []

    def where(code: str) -> dict[str, str]:
        sheet, cell = cells.get(code, ("", ""))
        return {"fichier": fichier, "feuille": sheet, "cellule": cell, "champ": code}

    def title(code: str) -> str:
        return titles.get(code, code)

    for part, total in PARTS:
        if part in kept and total in answers and kept[part] > answers[total]:
            problems.append(Probleme(
                **where(part), valeur=_shown(kept[part]), regle="questionnaire.part_superieure",
                attendu=f"≤ {_shown(answers[total])} ({title(total)})",
                message=f"« {title(part)} » ({_shown(kept[part])}) dépasse « {title(total)} » "
                        f"({_shown(answers[total])}) : la valeur est écartée.",
                conseil="Un « dont » est compris dans son total : vérifiez les deux cellules "
                        f"({'!'.join(cells.get(total, ('', '')))})."))
            del kept[part]
    for total, parts, label in SPLITS:
        if total in kept and all(p in kept for p in parts):
            somme = sum(kept[p] for p in parts)
            if somme != kept[total]:
                problems.append(Probleme(
                    **where(parts[0]), valeur=str(somme), regle="questionnaire.repartition",
                    gravite=GRAVITE_AVERTISSEMENT, attendu=_shown(kept[total]),
                    message=f"La répartition {label} totalise {somme}, pour "
                            f"{_shown(kept[total])} « {title(total)} ».",
                    conseil="Chaque personne est comptée une fois dans une seule catégorie."))
    if "sorties" in kept and all(c in kept for c in SORTIES_CATEGORIES):
        somme = sum(kept[c] for c in SORTIES_CATEGORIES)
        if somme != kept["sorties"]:
            problems.append(Probleme(
                **where("sorties"), valeur=str(somme), regle="questionnaire.somme_sorties",
                attendu=_shown(kept["sorties"]),
                message=f"Les cinq catégories de sorties totalisent {somme}, pour "
                        f"{_shown(kept['sorties'])} sorties déclarées : le détail des sorties "
                        "est écarté.",
                conseil="Reprenez le bilan ASP : chaque sortie est dans une seule catégorie."))
            for c in SORTIES_CATEGORIES:
                del kept[c]
    conventionnes, realises = kept.get("etp_conventionnes"), kept.get("etp_realises")
    if conventionnes and realises is not None and \
            abs(realises - conventionnes) > ETP_TOLERANCE * conventionnes:
        ecart = (realises - conventionnes) / conventionnes
        problems.append(Probleme(
            **where("etp_realises"), valeur=_shown(realises), regle="questionnaire.etp_ecart",
            gravite=GRAVITE_AVERTISSEMENT,
            attendu=f"{_shown(conventionnes)} ETP conventionnés ± "
                    f"{round(ETP_TOLERANCE * 100)} %",
            message=f"ETP réalisés ({_shown(realises)}) éloignés de {round(ecart * 100):+d} % "
                    f"des ETP conventionnés ({_shown(conventionnes)}).",
            conseil="Vérifiez les deux chiffres au bilan de l'annexe financière."))
    kept_residence = dict(residence)
    if residence and "salaries_annee" in kept:
        somme = sum(residence.values())
        if somme > kept["salaries_annee"]:
            first = min(residence, key=lambda c: _row(cells.get(f"residence_{c}", ("", ""))[1]))
            problems.append(Probleme(
                **where(f"residence_{first}"), valeur=str(somme),
                regle="questionnaire.residence_superieure",
                attendu=f"≤ {_shown(kept['salaries_annee'])}",
                message=f"La résidence des salariés totalise {somme} personnes, plus que les "
                        f"{_shown(kept['salaries_annee'])} salariés de l'année : la répartition "
                        "par EPCI est écartée.",
                conseil="Comptez chaque salarié de l'année une seule fois, à son adresse."))
            kept_residence = {}
    return kept, kept_residence, problems


def _row(cell: str) -> int:
    digits = "".join(ch for ch in cell if ch.isdigit())
    return int(digits) if digits else 0


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)
