"""Statistical secrecy of the published indicators (pure functions).

Primary rule: a count of people strictly between 0 and the threshold (default 11) is secret.
Secondary rule: in every additive relation (communes → EPCI, arrondissement and département,
EPCI and arrondissements → département, kinds of SIAE → ensemble), a group may not hold exactly
one secret cell, otherwise it could be recomputed from the total; the smallest other non-zero
cell is suppressed too (the total itself when no such cell exists). Ratios built on a secret
count are secret as well. The ``restreinte`` rows keep every value; the ``publique`` rows carry
an empty value and the status ``s``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.analyse.niveaux import level_frame

PUBLIE, SECRET, NON_DISPONIBLE = "publie", "s", "nd"
_RELATIONS = (("commune", "epci"), ("commune", "arrondissement"), ("commune", "departement"),
              ("epci", "departement"), ("arrondissement", "departement"))
_KEY = ["niveau", "code", "indicateur", "type_siae", "public"]


def apply_secret(table: pd.DataFrame, territoires: pd.DataFrame, seuil: int,
                 effectifs: set[str], derived: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """``table`` with ``statut`` and ``diffusion``: restreinte rows then publique rows."""
    data = table.reset_index(drop=True).copy()
    value = data["valeur"]
    data["statut"] = np.where(value.isna(), NON_DISPONIBLE, PUBLIE)
    counts = data["indicateur"].isin(effectifs)
    secret = counts & (value > 0) & (value < seuil)
    secret = _secondary(data, secret, counts, territoires)
    secret = _propagate(data, secret, derived)
    data.loc[secret, "statut"] = SECRET
    restreinte = data.assign(diffusion="restreinte", statut=np.where(value.isna(),
                                                                      NON_DISPONIBLE, PUBLIE))
    publique = data.assign(diffusion="publique")
    publique.loc[secret, "valeur"] = np.nan
    return pd.concat([restreinte, publique], ignore_index=True)


def _groups(data: pd.DataFrame, territoires: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """For each additive relation: (group id of child rows, index of the parent row) pairs."""
    rows = data.reset_index().set_index(_KEY)["index"]
    relations = []
    for child, parent in _RELATIONS:
        child_map = level_frame(territoires, child)
        parent_map = level_frame(territoires, parent)
        if child_map is None or parent_map is None:
            continue
        link = child_map[["code_commune", "code"]].merge(
            parent_map[["code_commune", "code"]], on="code_commune", suffixes=("", "_parent"))
        link = link.drop_duplicates("code").set_index("code")["code_parent"]
        is_child = data["niveau"] == child
        parent_code = data.loc[is_child, "code"].map(link)
        group = (parent_code + "|" + data.loc[is_child, "indicateur"] + "|"
                 + data.loc[is_child, "type_siae"] + "|" + data.loc[is_child, "public"])
        keys = list(zip([parent] * len(group), parent_code, data.loc[is_child, "indicateur"],
                        data.loc[is_child, "type_siae"], data.loc[is_child, "public"],
                        strict=True))
        parent_row = pd.Series([rows.get(k, -1) for k in keys], index=group.index)
        relations.append((group.dropna(), parent_row))
    kinds = data["type_siae"] != "ensemble"
    group = (data.loc[kinds, "niveau"] + "|" + data.loc[kinds, "code"] + "|"
             + data.loc[kinds, "indicateur"] + "|" + data.loc[kinds, "public"])
    keys = list(zip(data.loc[kinds, "niveau"], data.loc[kinds, "code"],
                    data.loc[kinds, "indicateur"], ["ensemble"] * int(kinds.sum()),
                    data.loc[kinds, "public"], strict=True))
    relations.append((group, pd.Series([rows.get(k, -1) for k in keys], index=group.index)))
    return relations


def _secondary(data: pd.DataFrame, secret: pd.Series, counts: pd.Series,
               territoires: pd.DataFrame) -> pd.Series:
    """Extend ``secret`` until no additive group holds exactly one secret cell."""
    secret = secret.copy()
    if not secret.any():
        return secret
    relations = _groups(data[counts], territoires)
    value = data["valeur"]
    changed = True
    while changed:
        changed = False
        for group, parent_row in relations:
            lone = secret[group.index].groupby(group).transform("sum") == 1
            for gid in group[lone].unique():
                members = group.index[group == gid]
                candidates = value[members][(~secret[members]) & (value[members] > 0)]
                if not candidates.empty:
                    secret[candidates.idxmin()] = True
                else:
                    parent = parent_row[members[0]]
                    if parent < 0 or secret[parent]:
                        continue
                    secret[parent] = True
                changed = True
    return secret


def _propagate(data: pd.DataFrame, secret: pd.Series,
               derived: dict[str, tuple[str, ...]]) -> pd.Series:
    """A derived indicator is secret where one of its components is."""
    secret = secret.copy()
    cell = ["niveau", "code", "type_siae", "public"]
    hidden = data.loc[secret, cell + ["indicateur"]]
    for indicator, components in derived.items():
        sources = hidden[hidden["indicateur"].isin(components)][cell].drop_duplicates()
        if sources.empty:
            continue
        target = data["indicateur"] == indicator
        marks = data.loc[target, cell].merge(sources.assign(_hit=True), on=cell, how="left")
        hits = marks["_hit"].fillna(False).to_numpy(dtype=bool)
        secret.loc[target] = secret.loc[target].to_numpy() | hits
    return secret
