"""Sanity checks of a département's indicators against national orders of magnitude (pure).

The references come from the DARES (DESIGN.md §2): about 4,500 SIAE in France in 2023, i.e.
≈ 45 per département, half of them ACI; ≈ 25 to 40 salariés en insertion per 1,000 demandeurs
d'emploi ABC; taux de sortie dynamique of 2021 by kind. A figure far from them is not an error —
a département may be atypical — but it is worth a look before the report is presented: each one
becomes an ``avertissement`` of the controls (``controles/anomalies.csv``), never a blocking
error. The bands are wide on purpose (a factor of about 2.5 around the national figure).
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.common.vocabulary import ENSEMBLE
from iae_etat.tables.formats import nombre

SOURCE = "ordre de grandeur national (DARES, 2021-2023)"
# (low, high) plausible band of the SIAE of one département.
NB_SIAE = (8, 250)
# Share of the ACI among the SIAE of a département (≈ half nationally), checked from 10 SIAE.
PART_ACI = (20.0, 80.0)
# Salariés en insertion per 1,000 DE ABC: 25 to 40 nationally.
SALARIES_POUR_1000_DE = (10.0, 100.0)
# Taux de sortie dynamique by kind in 2021 (%), and the gap that raises a warning, checked only
# from this many sorties (a rate on a few exits says little).
SORTIE_DYNAMIQUE = {"ETTI": 53.0, "AI": 46.0, "EI": 29.0, "ACI": 28.0}
ECART_SORTIE = 25.0
SORTIES_MIN = 20
# Réalisation of the ETP conventionnés (%), and a response rate under which the questionnaire
# figures describe too few structures.
REALISATION = (60.0, 120.0)
TAUX_REPONSE_MIN = 50.0


def sanity_checks(indicateurs: pd.DataFrame, fichier: str) -> list[Probleme]:
    """The warnings of every département of ``indicateurs`` (``out_indicateurs``, restreinte
    rows: these controls are a working file, not a publication); ``fichier`` names the table."""
    rows = indicateurs[(indicateurs["diffusion"] == "restreinte")
                       & (indicateurs["niveau"] == "departement")
                       & (indicateurs["public"] == ENSEMBLE)]
    problems = []
    for code, group in rows.groupby("code", sort=True):
        values = group.set_index(["indicateur", "type_siae"])["valeur"]
        libelle = str(group["libelle"].iloc[0])
        problems += _checks(_Lookup(values), f"{libelle} ({code})", fichier)
    return problems


class _Lookup:
    """The département's values by (indicator, kind); None where absent or not available."""

    def __init__(self, values: pd.Series) -> None:
        self.values = values

    def __call__(self, indicateur: str, type_siae: str = ENSEMBLE) -> float | None:
        value = self.values.get((indicateur, type_siae))
        return None if value is None or pd.isna(value) else float(value)


def _checks(get: _Lookup, territoire: str, fichier: str) -> list[Probleme]:
    """The warnings of one département."""
    out = []

    def warn(champ: str, valeur: float, attendu: str, message: str, conseil: str) -> None:
        out.append(Probleme(fichier=fichier, regle=f"vraisemblance.{champ}",
                            message=f"{territoire} : {message}", champ=champ,
                            valeur=_figure(valeur), attendu=f"{attendu} ({SOURCE})",
                            conseil=conseil, gravite=GRAVITE_AVERTISSEMENT))

    nb = get("nb_siae")
    if nb is not None and not NB_SIAE[0] <= nb <= NB_SIAE[1]:
        warn("nb_siae", nb, f"entre {NB_SIAE[0]} et {NB_SIAE[1]} SIAE",
             f"{_figure(nb)} SIAE dans le département, loin des 45 d'un département moyen.",
             "Vérifiez la liste des structures conventionnées (data/raw/structures/) et le "
             "périmètre du projet.")
    aci = get("nb_siae", "ACI")
    if nb and nb >= 10 and aci is not None:
        part = aci / nb * 100
        if not PART_ACI[0] <= part <= PART_ACI[1]:
            warn("nb_siae", part, f"entre {PART_ACI[0]:.0f} % et {PART_ACI[1]:.0f} % d'ACI",
                 f"les ACI font {_figure(part)} % des SIAE, contre la moitié en France.",
                 "Vérifiez le type (colonne MESURE) des structures de la liste.")
    salaries = get("salaries_asp")
    if salaries is None and (get("taux_reponse") or 0) >= 100:
        salaries = get("salaries_annee")
    de_abc = get("de_abc")
    if salaries is not None and de_abc:
        ratio = salaries / de_abc * 1000
        if not SALARIES_POUR_1000_DE[0] <= ratio <= SALARIES_POUR_1000_DE[1]:
            warn("salaries_annee", ratio,
                 f"entre {SALARIES_POUR_1000_DE[0]:.0f} et {SALARIES_POUR_1000_DE[1]:.0f} "
                 "salariés pour 1 000 DE ABC",
                 f"{_figure(ratio)} salariés en insertion pour 1 000 demandeurs d'emploi ABC, "
                 "contre 25 à 40 en France.",
                 "Vérifiez les demandeurs d'emploi (data/raw/france_travail/) et les salariés "
                 "déclarés.")
    for kind, reference in SORTIE_DYNAMIQUE.items():
        for rate, base in (("taux_sortie_dynamique", "sorties"),
                           ("taux_sortie_dynamique_asp", "sorties_asp")):
            value, exits = get(rate, kind), get(base, kind)
            if value is None or exits is None or exits < SORTIES_MIN:
                continue
            if abs(value - reference) > ECART_SORTIE:
                warn(rate, value, f"{_figure(reference)} % ± {ECART_SORTIE:.0f} points pour les "
                     f"{kind}",
                     f"taux de sortie dynamique des {kind} de {_figure(value)} %, contre "
                     f"{_figure(reference)} % en France.",
                     "Vérifiez les sorties par catégorie déclarées (retraits exclus du "
                     "dénominateur, autres sorties incluses).")
    realisation = get("realisation_etp")
    if realisation is not None and not REALISATION[0] <= realisation <= REALISATION[1]:
        warn("realisation_etp", realisation,
             f"entre {REALISATION[0]:.0f} % et {REALISATION[1]:.0f} %",
             f"réalisation des ETP conventionnés de {_figure(realisation)} %.",
             "Vérifiez les ETP conventionnés et réalisés déclarés (mêmes unités, même année).")
    reponse = get("taux_reponse")
    if reponse is not None and reponse < TAUX_REPONSE_MIN:
        warn("taux_reponse", reponse, f"au moins {TAUX_REPONSE_MIN:.0f} %",
             f"seules {_figure(reponse)} % des SIAE ont répondu : les chiffres issus du "
             "questionnaire décrivent mal l'offre.",
             "Relancez les SIAE manquantes (iae-etat status) avant de présenter le rapport.")
    return out


def _figure(value: float) -> str:
    """A French number, with one decimal unless it is whole."""
    return nombre(value, 0 if float(value).is_integer() else 1)
