"""Territory levels and the commune → territory map of each (pure functions)."""

from __future__ import annotations

import pandas as pd

_COLUMNS = {"commune": ("code_commune", "nom_commune"), "epci": ("code_epci", "nom_epci"),
            "arrondissement": ("code_arrondissement", "nom_arrondissement"),
            "zone_emploi": ("code_zone_emploi", "nom_zone_emploi"),
            "clpe": ("code_clpe", "nom_clpe"),
            "departement": ("code_departement", "nom_departement")}


def level_frame(territoires: pd.DataFrame, level: str) -> pd.DataFrame | None:
    """``code_commune, code, libelle`` for ``level``, or None when the project lacks it.

    A commune without a territory at this level (an island outside any EPCI) is left out.
    """
    code_col, name_col = _COLUMNS[level]
    if code_col not in territoires.columns:
        return None
    frame = pd.DataFrame({"code_commune": territoires["code_commune"],
                          "code": territoires[code_col], "libelle": territoires[name_col]})
    frame = frame.dropna(subset=["code"]).reset_index(drop=True)
    return None if frame.empty else frame
