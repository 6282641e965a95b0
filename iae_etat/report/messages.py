"""« Messages clés »: the few sentences that open the synthèse, drawn from the data (pure).

Each rule reads published (``publique``) rows by indicator code and returns one French sentence
with its figure and its territory, or a sentence saying « non disponible » and why: a message is
never drawn from missing data. The rules, in their order in the report:

``offre``        the département's SIAE, ETP conventionnés and taux d'équipement
                 (``out_indicateurs``: nb_siae, etp_conventionnes, taux_equipement_etp_de_abc).
``couverture``   the best and the least covered EPCI: lowest and highest published indice de
                 couverture of the demandeurs d'emploi A, B, C (``out_couverture``); needs two.
``etp``          the EPCI where the most ETP are missing to reach the département's taux
                 d'équipement: rank 1 of ``out_ecarts`` (etp_manquants, de_abc, EPCI).
``zones``        communes without SIAE whose need reaches the threshold (``out_couverture``,
                 zone_blanche), the largest named; unavailable when no commune need is published.
``publics``      the public with the most negative écart de représentativité in the département
                 (``out_indicateurs``), and the EPCI where most of its salariés are missing
                 (``out_ecarts`` salaries_manquants, largest gap of that public).
``evolution``    ETP conventionnés against the latest earlier millésime (``out_evolution``),
                 with the like-for-like caveat: the SIAE that responded change from year to year.
``reponse``      the response rate, in SIAE and in ETP conventionnés (``out_indicateurs``).

In a project of several départements, each département's messages are drawn from its own rows
and those of its EPCI and communes (``by_departement``): an EPCI across two départements speaks
in both.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from iae_etat.common.vocabulary import ENSEMBLE, LEVELS, PUBLIC_LABELS
from iae_etat.tables.formats import nombre, pourcentage

PUBLIQUE = "publique"


def _value(rows: pd.DataFrame, indicateur: str) -> float | None:
    """The published value of ``indicateur`` in ``rows`` (one territory), else None."""
    found = rows[(rows["indicateur"] == indicateur) & (rows["statut"] == "publie")]
    if found.empty:
        return None
    value = float(found["valeur"].iloc[0])
    return None if math.isnan(value) else value


def _departement_rows(indicateurs: pd.DataFrame, code: str) -> pd.DataFrame:
    return indicateurs[(indicateurs["diffusion"] == PUBLIQUE)
                       & (indicateurs["niveau"] == "departement")
                       & (indicateurs["code"].astype(str) == code)
                       & (indicateurs["type_siae"] == ENSEMBLE)]


def _message(regle: str, texte: str, disponible: bool = True) -> dict:
    return {"regle": regle, "texte": texte, "disponible": disponible}


def offre(indicateurs: pd.DataFrame, code: str, libelle: str) -> dict:
    """``offre``: number of SIAE, ETP conventionnés and taux d'équipement of the département."""
    rows = _departement_rows(indicateurs, code)
    rows = rows[rows["public"] == ENSEMBLE]
    siae, etp = _value(rows, "nb_siae"), _value(rows, "etp_conventionnes")
    taux = _value(rows, "taux_equipement_etp_de_abc")
    if siae is None:
        return _message("offre", f"Offre de {libelle} : non disponible.", False)
    texte = f"{libelle} compte {nombre(siae)} SIAE"
    if etp is not None:
        texte += f" pour {nombre(etp, 1)} ETP conventionnés"
    if taux is not None:
        texte += f", soit {nombre(taux, 1)} ETP pour 1 000 demandeurs d'emploi A, B, C"
    else:
        texte += " ; le taux d'équipement n'est pas disponible (besoins non renseignés)"
    return _message("offre", texte + ".")


def couverture(table: pd.DataFrame, niveau: str = "epci") -> dict:
    """``couverture``: the best (lowest indice) and the least (highest) covered territories."""
    rows = table[(table["diffusion"] == PUBLIQUE) & (table["niveau"] == niveau)
                 & (table["besoin"] == "de_abc") & (table["statut"] == "publie")
                 & table["indice_couverture"].notna()]
    if len(rows) < 2:
        return _message("couverture", "Couverture des besoins par EPCI : non disponible (il "
                        "faut l'indice de couverture publié d'au moins deux EPCI).", False)
    rows = rows.sort_values(["indice_couverture", "libelle", "code"])
    best, worst = rows.iloc[0], rows.iloc[-1]
    return _message("couverture", (
        f"Le territoire le mieux couvert est {best['libelle']} (indice de couverture "
        f"{nombre(best['indice_couverture'], 2)}, {nombre(best['taux_equipement'], 1)} ETP pour "
        f"1 000 demandeurs d'emploi) ; le moins bien couvert est {worst['libelle']} "
        f"({nombre(worst['indice_couverture'], 2)}, couverture {worst['couverture']}, "
        f"{nombre(worst['taux_equipement'], 1)} ETP pour 1 000)."))


def etp_manquants(ecarts: pd.DataFrame, niveau: str = "epci") -> dict:
    """``etp``: the territory with the largest published ETP gap (rank 1)."""
    rows = ecarts[(ecarts["diffusion"] == PUBLIQUE) & (ecarts["niveau"] == niveau)
                  & (ecarts["mesure"] == "etp_manquants") & (ecarts["besoin"] == "de_abc")
                  & (ecarts["rang"] == 1)]
    if rows.empty:
        return _message("etp", "ETP manquants par EPCI : non disponible (aucun écart publié "
                        "et classé).", False)
    row = rows.sort_values("code").iloc[0]
    return _message("etp", (
        f"C'est dans {row['libelle']} qu'il manque le plus d'ETP pour atteindre le taux "
        f"d'équipement du département : {nombre(row['ecart'], 1)} ETP "
        f"({nombre(row['offre'], 1)} conventionnés pour une cible de "
        f"{nombre(row['cible'], 1)})."))


def zones_blanches(table: pd.DataFrame) -> dict:
    """``zones``: communes without SIAE whose need reaches the threshold of the configuration."""
    communes = table[(table["diffusion"] == PUBLIQUE) & (table["niveau"] == "commune")
                     & (table["besoin"] == "de_abc")]
    if communes.empty or communes["valeur_besoin"].notna().sum() == 0:
        return _message("zones", "Zones blanches : non disponible (le nombre de demandeurs "
                        "d'emploi par commune n'est pas connu).", False)
    blanches = communes[communes["zone_blanche"].fillna(False).astype(bool)]
    if blanches.empty:
        return _message("zones", "Aucune commune sans SIAE n'atteint le seuil de besoin de la "
                        "configuration : pas de zone blanche.")
    first = blanches.sort_values(["valeur_besoin", "code"], ascending=[False, True]).iloc[0]
    return _message("zones", (
        f"{nombre(len(blanches))} commune(s) sans SIAE atteignent le seuil de besoin (zones "
        f"blanches) ; la plus importante est {first['libelle']} avec "
        f"{nombre(first['valeur_besoin'])} demandeurs d'emploi A, B, C."))


def publics(indicateurs: pd.DataFrame, ecarts: pd.DataFrame, code: str) -> dict:
    """``publics``: the most under-represented public of the département, and where."""
    rows = indicateurs[(indicateurs["diffusion"] == PUBLIQUE)
                       & (indicateurs["niveau"] == "departement")
                       & (indicateurs["code"].astype(str) == code)
                       & (indicateurs["type_siae"] == ENSEMBLE)
                       & (indicateurs["public"] != ENSEMBLE)
                       & (indicateurs["indicateur"] == "ecart_representativite")
                       & (indicateurs["statut"] == "publie") & indicateurs["valeur"].notna()]
    rows = rows[rows["valeur"] < 0]
    if rows.empty:
        return _message("publics", "Représentativité des publics : non disponible (aucun écart "
                        "publié entre les salariés en insertion et les demandeurs d'emploi).",
                        False)
    rows = rows.assign(public=rows["public"].astype(str)).sort_values(["valeur", "public"])
    public, ecart = rows["public"].iloc[0], float(rows["valeur"].iloc[0])
    label = PUBLIC_LABELS.get(public, public)
    texte = (f"Le public le moins présent dans l'offre au regard des besoins est « {label} » : "
             f"{nombre(-ecart, 1)} points de moins parmi les salariés en insertion que parmi "
             "les demandeurs d'emploi A, B, C")
    where = ecarts[(ecarts["diffusion"] == PUBLIQUE) & (ecarts["niveau"] == "epci")
                   & (ecarts["mesure"] == "salaries_manquants")
                   & (ecarts["public"].astype(str) == public) & ecarts["rang"].notna()]
    if not where.empty:
        top = where.sort_values(["rang", "code"]).iloc[0]
        texte += (f" ; l'écart le plus grand est dans {top['libelle']} "
                  f"({nombre(top['ecart'], 1)} salariés manquants)")
    return _message("publics", texte + ".")


def evolution(table: pd.DataFrame, code: str, millesime: int) -> dict:
    """``evolution``: ETP conventionnés against the latest earlier millésime, with the caveat."""
    rows = table[(table["diffusion"] == PUBLIQUE) & (table["niveau"] == "departement")
                 & (table["code"].astype(str) == code) & (table["type_siae"] == ENSEMBLE)
                 & (table["public"] == ENSEMBLE) & (table["indicateur"] == "etp_conventionnes")
                 & (table["statut"] == "publie") & table["valeur_reference"].notna()]
    if rows.empty:
        return _message("evolution", "Évolution : non disponible (aucun millésime précédent "
                        "publié n'est construit dans le projet).", False)
    row = rows.sort_values("millesime_reference").iloc[-1]
    sens = "augmentent" if row["ecart"] > 0 else "diminuent" if row["ecart"] < 0 else \
        "restent stables"
    texte = (f"Les ETP conventionnés {sens} : {nombre(row['valeur_reference'], 1)} en "
             f"{int(row['millesime_reference'])}, {nombre(row['valeur'], 1)} en {millesime}")
    if pd.notna(row["ecart_pct"]) and row["ecart"] != 0:
        texte += f" ({'+' if row['ecart_pct'] > 0 else '−'}{pourcentage(abs(row['ecart_pct']))})"
    texte += (" ; à comparer avec prudence : ce ne sont pas forcément les mêmes SIAE qui ont "
              "répondu les deux années (comparaison qui n'est pas à champ constant)")
    return _message("evolution", texte + ".")


def reponse(indicateurs: pd.DataFrame, code: str) -> dict:
    """``reponse``: share of the SIAE that responded, and of their ETP conventionnés."""
    rows = _departement_rows(indicateurs, code)
    rows = rows[rows["public"] == ENSEMBLE]
    siae, etp = _value(rows, "taux_reponse"), _value(rows, "taux_reponse_etp")
    if siae is None:
        return _message("reponse", "Taux de réponse au questionnaire : non disponible.", False)
    texte = f"{pourcentage(siae, 0)} des SIAE ont répondu au questionnaire"
    texte += f", représentant {pourcentage(etp, 0)} des ETP conventionnés" if etp is not None \
        else " (part des ETP conventionnés non disponible sans les données de l'ASP)"
    if siae < 70:
        texte += " : les chiffres issus du questionnaire sous-estiment l'offre"
    return _message("reponse", texte + ".")


def by_departement(table: pd.DataFrame, niveaux: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of ``table`` about each département: its own and those of the territories
    (EPCI, communes…) that have a commune in it, by ``niveaux`` (``core_territoires``)."""
    levels = [level for level in LEVELS if f"code_{level}" in niveaux.columns]
    pairs = pd.concat([niveaux[[f"code_{level}", "code_departement"]].dropna().astype(str)
                       .set_axis(["code", "_departement"], axis=1).assign(niveau=level)
                       for level in levels], ignore_index=True).drop_duplicates()
    keys = pd.DataFrame({"niveau": table["niveau"].astype(str).to_numpy(),
                         "code": table["code"].astype(str).to_numpy(),
                         "_row": np.arange(len(table))})
    rows = keys.merge(pairs, on=["niveau", "code"]).sort_values(["_departement", "_row"])
    # one take, then a contiguous slice per département (no copy: Arrow text columns copy
    # whole on each take, gigabytes over a hundred départements)
    ordered = table.iloc[rows["_row"].to_numpy()]
    names, starts = np.unique(rows["_departement"].to_numpy(), return_index=True)
    bounds = [*starts.tolist(), len(rows)]
    return {str(name): ordered.iloc[a:b]
            for name, a, b in zip(names, bounds[:-1], bounds[1:], strict=True)}


def messages_cles(indicateurs: pd.DataFrame, couverture_table: pd.DataFrame,
                  ecarts: pd.DataFrame, evolution_table: pd.DataFrame, code: str,
                  libelle: str, millesime: int) -> list[dict]:
    """The key messages of one département, in the order of the module docstring, from the rows
    about it (``by_departement``; in a one-département project, the whole tables)."""
    return [offre(indicateurs, code, libelle), couverture(couverture_table),
            etp_manquants(ecarts), zones_blanches(couverture_table),
            publics(indicateurs, ecarts, code),
            evolution(evolution_table, code, millesime),
            reponse(indicateurs, code)]
