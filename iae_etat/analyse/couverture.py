"""Couverture of the needs by the offer: taux d'équipement, indice de couverture and its bands,
zones blanches — computed from the published indicators, so that secrecy carries over (pure).

Indice de couverture (Pilotage de l'inclusion): part du besoin / (part du besoin + part de
l'offre), where each part is the territory's share of the whole scope (the départements of the
project): 0 when a territory holds offer but no need, 1 when it holds need but no offer, 0.5 when
both shares are equal. A zone blanche is a territory below the département with at least
``seuil`` of a need and no SIAE.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.common.indicators import NEEDS
from iae_etat.common.vocabulary import ENSEMBLE
from iae_etat.tables.contracts import columns

# Bands of the indice de couverture, from the lower bound of each (DESIGN §3).
BANDES = ((0.8, "très faible"), (0.6, "faible"), (0.4, "intermédiaire"), (0.2, "bonne"),
          (-np.inf, "très bonne"))
LIBELLES_BESOINS = {"de_abc": "Demandeurs d'emploi A, B, C",
                    "foyers_rsa": "Foyers allocataires du RSA"}
COLUMNS = columns("out_couverture")
_KEY = ["diffusion", "niveau", "code", "libelle"]


def couverture(published: pd.DataFrame, seuil: float) -> pd.DataFrame:
    """Rows of ``out_couverture``, one per diffusion, territory and need present in
    ``published`` (``out_indicateurs``). A secret input makes the row ``s`` with no figures in
    the publique rows; a zone blanche needs a published need."""
    wanted = ["nb_siae", "etp_conventionnes", *NEEDS]
    rows = published[(published["type_siae"] == ENSEMBLE) & (published["public"] == ENSEMBLE)
                     & published["indicateur"].isin(wanted)]
    values, statut = wide(rows, _KEY)
    frames = []
    for need in NEEDS:
        if need not in values.columns or values[need].isna().all():
            continue
        frames.append(_need_rows(values, statut, need, seuil))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["diffusion", "niveau", "code", "besoin"]).reset_index(drop=True)[
        COLUMNS]


def wide(rows: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values and statuts of indicator rows with a column per indicator, indexed by ``key``."""
    table = rows.set_index([*key, "indicateur"])[["valeur", "statut"]].unstack("indicateur")
    return table["valeur"].astype(float), table["statut"]


def _need_rows(values: pd.DataFrame, statut: pd.DataFrame, need: str,
               seuil: float) -> pd.DataFrame:
    """Coverage of one need for every territory and diffusion."""
    need_value = values[need].astype(float)
    etp = values["etp_conventionnes"].astype(float)
    diffusion = values.index.get_level_values("diffusion")
    departements = values.index.get_level_values("niveau") == "departement"
    scope = pd.DataFrame({"besoin": need_value, "etp": etp})[departements] \
        .groupby(level="diffusion").sum(min_count=1)
    total_need = scope["besoin"].reindex(diffusion).to_numpy()
    total_etp = scope["etp"].reindex(diffusion).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        part_besoin = need_value.to_numpy() / np.where(total_need > 0, total_need, np.nan)
        part_offre = etp.to_numpy() / np.where(total_etp > 0, total_etp, np.nan)
        both = part_besoin + part_offre
        indice = part_besoin / np.where(both > 0, both, np.nan)
        taux = etp.to_numpy() / np.where(need_value > 0, need_value, np.nan) * 1000
    out = values.index.to_frame(index=False)
    out["besoin"] = need
    out["libelle_besoin"] = LIBELLES_BESOINS[need]
    out["valeur_besoin"] = need_value.to_numpy()
    out["etp_conventionnes"] = etp.to_numpy()
    out["nb_siae"] = values["nb_siae"].astype(float).to_numpy()
    out["taux_equipement"] = taux
    out["part_besoin"] = part_besoin * 100
    out["part_offre"] = part_offre * 100
    out["indice_couverture"] = indice
    out["couverture"] = bande(pd.Series(indice))
    local = out["niveau"] != "departement"
    white = local & (out["nb_siae"] == 0) & (out["valeur_besoin"] >= seuil)
    out["zone_blanche"] = white
    rank = out["valeur_besoin"].where(white).groupby([out["diffusion"], out["niveau"]]) \
        .rank(ascending=False, method="min")
    out["rang_zone_blanche"] = rank.astype("Int64")
    inputs = statut[[need, "etp_conventionnes"]]
    secret = (inputs == "s").any(axis=1).to_numpy()
    out["statut"] = np.select([secret, np.isnan(indice)], ["s", "nd"], "publie")
    return out


def bande(indice: pd.Series) -> pd.Series:
    """The band of each indice de couverture (empty where the indice is)."""
    labels = pd.Series(pd.NA, index=indice.index, dtype="string")
    for lower, label in reversed(BANDES):
        labels = labels.mask(indice >= lower, label)
    return labels.where(indice.notna())
