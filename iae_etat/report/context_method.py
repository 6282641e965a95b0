"""The methods of attribution and non-response as told by the report (pure).

The methods are read from the ``methode`` column of the published indicators (what the analysis
did), the coverage from their ``taux_reponse`` and ``taux_reponse_etp`` rows, the weights from
the calibration groups of ``analyse.ponderation``.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.calage import VARIABLE_ETP
from iae_etat.analyse.indicateurs import CALAGE
from iae_etat.common.vocabulary import ENSEMBLE
from iae_etat.tables.formats import cellule, nombre

VARIABLES = {VARIABLE_ETP: "ETP conventionnés (ASP)", "nb_siae": "nombre de SIAE"}


def methode_context(indicateurs: pd.DataFrame, groupes: pd.DataFrame | None,
                    departements: dict[str, str]) -> dict:
    """What the annex and the offer section say of the methods, per département."""
    rows = indicateurs[indicateurs["diffusion"] == "publique"]
    methods = set(rows["methode"].dropna().unique())
    residence = any(m.startswith("residence") for m in methods)
    calage = any(m.endswith(f"+{CALAGE}") for m in methods)
    totals = rows[(rows["niveau"] == "departement") & (rows["type_siae"] == ENSEMBLE)
                  & (rows["public"] == ENSEMBLE)
                  & rows["indicateur"].isin(["taux_reponse", "taux_reponse_etp"])]
    couverture = []
    for code, libelle in departements.items():
        own = totals[totals["code"] == code].set_index("indicateur")
        texts = {i: cellule(own.at[i, "valeur"], own.at[i, "statut"], "%")
                 if i in own.index else "nd" for i in ("taux_reponse", "taux_reponse_etp")}
        couverture.append({"libelle": libelle, "siae": texts["taux_reponse"],
                           "etp": texts["taux_reponse_etp"]})
    poids = []
    if calage and groupes is not None:
        for row in groupes.sort_values(["code_departement", "type_siae"]).itertuples(index=False):
            poids.append({"departement": departements.get(row.code_departement,
                                                          row.code_departement),
                          "type_siae": row.type_siae, "siae": nombre(row.siae),
                          "repondantes": nombre(row.repondantes),
                          "variable": VARIABLES[row.variable],
                          "total": nombre(row.total, 1),
                          "total_repondantes": nombre(row.total_repondantes, 1),
                          "poids": nombre(row.poids, 3)})
    variables = sorted({p["variable"] for p in poids})
    asp = any("+asp" in m for m in methods)  # one figure per concept: the ASP's for all SIAE
    declared = ("publics et sorties : estimations pour l'ensemble des SIAE, par calage des SIAE "
                "ayant répondu au questionnaire" if calage else
                "publics et sorties : SIAE ayant répondu au questionnaire (voir la part des SIAE "
                "ayant répondu)")
    note = (f"ETP et salariés : toutes les SIAE (données de l'ASP) ; {declared}." if asp else
            "ETP, salariés, publics et sorties : estimations pour l'ensemble des SIAE, par "
            "calage des SIAE ayant répondu au questionnaire (voir l'annexe méthodologique)."
            if calage else "ETP et salariés : SIAE ayant répondu au questionnaire (voir la part "
            "des SIAE ayant répondu).")
    return {"residence": residence, "calage": calage, "asp": asp, "couverture": couverture,
            "poids": poids, "variables": variables, "note_offre": note}
