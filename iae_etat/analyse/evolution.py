"""Evolution of every indicator against each previous millésime built in the project (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["diffusion", "niveau", "code", "indicateur", "type_siae", "public"]
REFERENCE_COLUMNS = [*KEY, "valeur", "statut"]


def evolution(current: pd.DataFrame, previous: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Rows of ``out_evolution``: current values against each earlier millésime.

    Territories are matched by code; a value missing on either side gives ``nd``, a secret one
    (``s`` in the publique rows) gives ``s`` and no value, so no secret can be derived.
    """
    frames = []
    for millesime, reference in sorted(previous.items()):
        ref = reference[REFERENCE_COLUMNS].rename(
            columns={"valeur": "valeur_reference", "statut": "statut_reference"})
        merged = current.merge(ref, on=KEY, how="inner")
        merged["millesime_reference"] = millesime
        merged["ecart"] = merged["valeur"] - merged["valeur_reference"]
        base = merged["valeur_reference"].where(merged["valeur_reference"] != 0)
        merged["ecart_pct"] = merged["ecart"] / base * 100
        secret = (merged["statut"] == "s") | (merged["statut_reference"] == "s")
        missing = merged["valeur"].isna() | merged["valeur_reference"].isna()
        merged["statut"] = np.select([secret, missing], ["s", "nd"], "publie")
        hidden = secret & (merged["diffusion"] == "publique")
        merged.loc[hidden, ["valeur", "valeur_reference", "ecart", "ecart_pct"]] = np.nan
        frames.append(merged.drop(columns="statut_reference"))
    if not frames:
        return pd.DataFrame(columns=[*KEY, "libelle", "unite", "millesime_reference",
                                     "valeur_reference", "valeur", "ecart", "ecart_pct",
                                     "statut"])
    return pd.concat(frames, ignore_index=True)
