"""Zones of the coordination: the départements a published territory links (pure functions).

Every equation of the published table (``secret.equations``: a territory and its parts, the kinds,
a total indicator and its parts) and every equation of the audit's linear model (``modele``: a
territory is the sum of its communes) stays within the communes of one territory. No equation
spans two départements unless a territory does (an EPCI, a zone d'emploi, a CLPE across a
border). The départements linked that way form a zone; the cells of a territory that no commune
maps form one more. The secondary suppression and the audit of one zone neither read nor change a
cell of another: each zone is coordinated on its own (``coordination``), side by side on the
cores, and a zone whose inputs did not change since the last build is taken back whole
(``key``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from iae_etat.analyse.modele import membership
from iae_etat.tables.digests import content_digest


def zones(data: pd.DataFrame, territoires: pd.DataFrame) -> tuple[np.ndarray, list[list[str]]]:
    """The zone of each row of ``data`` (``niveau``, ``code``) and the départements of each
    zone: 0, 1… in the order of their smallest département code; the rows of territories no
    commune maps, if any, form the last zone, with no département."""
    members = membership(territoires)
    departement = territoires.drop_duplicates("code_commune").set_index("code_commune")[
        "code_departement"].astype(str)
    members = members.assign(departement=members["code_commune"].map(departement)) \
        .dropna(subset=["departement"])
    departements = np.sort(members["departement"].unique())
    if not len(departements):
        return np.zeros(len(data), dtype=np.int32), [[]]
    keys = pd.MultiIndex.from_frame(members[["niveau", "code"]])
    places = keys.drop_duplicates()
    place = places.get_indexer(keys)
    column = np.searchsorted(departements, members["departement"].to_numpy())
    # the graph of places and départements: linked where a place has a commune of one
    size = len(places) + len(departements)
    graph = sparse.coo_matrix((np.ones(len(place)), (place, len(places) + column)),
                              shape=(size, size))
    label = connected_components(graph, directed=False)[1]
    # numbered by their first département (sorted): the numbers do not depend on the rows' order
    of_departement = label[len(places):]
    firsts = pd.Series(np.arange(len(departements))).groupby(of_departement).min()
    number = np.full(label.max() + 1, -1)
    number[firsts.index.to_numpy()] = np.argsort(np.argsort(firsts.to_numpy()))
    # the distinct places of the rows (a national table: millions of rows, some 40,000 places)
    published = pd.MultiIndex.from_arrays([data["niveau"], data["code"]])
    pair = published.codes[0].astype(np.int64) * (len(published.levels[1]) + 1) \
        + published.codes[1]
    _, first_row, inverse = np.unique(pair, return_index=True, return_inverse=True)
    rows = places.get_indexer(published[first_row]) if len(pair) else np.zeros(0, np.int64)
    of_place = np.where(rows >= 0, number[label[np.maximum(rows, 0)]], len(firsts))
    of_row = of_place[inverse.reshape(-1)].astype(np.int32)
    grouped = [list(departements[number[of_departement] == z]) for z in range(len(firsts))]
    return of_row, grouped + ([[]] if (rows < 0).any() else [])


def key(salt: str, frame: pd.DataFrame, territoires: pd.DataFrame,
        arrays: dict[str, np.ndarray]) -> str:
    """A digest of what the coordination of one zone reads: its rows (``frame``, every column
    by value), its communes and the ``arrays`` aligned on its rows, under ``salt`` (the code
    and the settings)."""
    return content_digest(salt, frame, territoires,
                          *(part for name in sorted(arrays) for part in (name, arrays[name])))
