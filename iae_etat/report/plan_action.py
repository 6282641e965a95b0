"""« Pistes pour le plan d'action »: the territories with the least offer for their needs (pure).

Ranks the EPCI by taux d'équipement (ETP conventionnés pour 1 000 DE ABC), lowest first, from
the ``publique`` rows; territories whose rate is secret or not available are left out of the
ranking and counted. The indice de couverture, the zones blanches and the what-if scenarios
are shown only when the analysis provides them.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.indicateurs import BY_CODE, ENSEMBLE
from iae_etat.report.formats import cellule

RATE = "taux_equipement_etp_de_abc"
SHOWN = 5


def least_equipped(indicateurs: pd.DataFrame, niveau: str = "epci") -> dict:
    """The ``SHOWN`` territories of ``niveau`` with the lowest published taux d'équipement."""
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & (indicateurs["niveau"] == niveau)
                       & (indicateurs["type_siae"] == ENSEMBLE)
                       & (indicateurs["public"] == ENSEMBLE)]
    wide = {}
    for row in rows.itertuples(index=False):
        wide.setdefault((row.code, row.libelle), {})[row.indicateur] = (row.valeur, row.statut)
    ranked, left_out = [], 0
    for (code, libelle), values in wide.items():
        value, statut = values.get(RATE, (float("nan"), "nd"))
        if statut != "publie" or pd.isna(value):
            left_out += 1
            continue
        ranked.append((float(value), libelle, code, values))
    ranked.sort(key=lambda item: (item[0], item[1], item[2]))
    columns = (RATE, "etp_conventionnes", "de_abc", "nb_siae")
    lines = []
    for _value, libelle, code, values in ranked[:SHOWN]:
        cells = []
        for indicator in columns:
            value, statut = values.get(indicator, (float("nan"), "nd"))
            cells.append(cellule(value, statut, BY_CODE[indicator].unite))
        lines.append({"code": code, "libelle": libelle, "cellules": cells})
    return {"colonnes": [BY_CODE[c].libelle for c in columns], "lignes": lines,
            "ecartes": left_out, "classes": len(ranked)}
