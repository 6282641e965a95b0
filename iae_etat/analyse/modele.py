"""The linear model of what is published (pure functions).

Every published count or amount is a sum of base cells: commune × kind of SIAE × public, for one
indicator attributed one way (column ``methode``). A territory of any grid (EPCI, arrondissement,
zone d'emploi, CLPE, département) is the set of its communes, so that the grids that do not nest
into one another are linked through their communes, and two territories made of the same communes
are one sum published under two codes. The ``ensemble`` kind is the sum of the kinds; a total
indicator of ``sommes`` is, in every base cell, the sum of its part indicators. Each public is a
model of its own (a person can be counted in several publics).

The model is built from the rows of the published table only (its ``niveau``, ``code``,
``indicateur``, ``type_siae``, ``public`` and ``methode``) and the commune map of each level, so
it holds whatever indicators the catalogue computes. A base cell (commune, kind) where the
published list of structures shows no SIAE of that kind (``presence``) is zero and left out.
When the cells carry their true ``valeur``, a territory whose figure is not the sum of its
communes' (the source's own figure, its small communes masked) is that sum plus a remainder of
its own, published by the indicator of ``RESTES`` where the table has it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from iae_etat.common.vocabulary import LEVELS
from iae_etat.tables.codage import row_keys
from iae_etat.territoires.levels import level_frame

ENSEMBLE = "ensemble"
# A territory's own figure from its source is not the sum of its communes (the source masks
# small communes): it is that sum plus a remainder, which one indicator publishes.
RESTES = {"de_abc_non_ventile": "de_abc"}


@dataclass(frozen=True)
class Block:
    """One independent linear system: the cells (positions in the cells frame) and their
    0/1 matrix over the block's base cells; ``links`` are the equations between base cells of
    a total indicator and its parts (rows of ±1, right-hand side zero)."""

    public: str
    methode: str
    indicateurs: tuple[str, ...]
    cells: np.ndarray
    matrix: sparse.csr_matrix
    links: sparse.csr_matrix


def membership(territoires: pd.DataFrame) -> pd.DataFrame:
    """``niveau, code, code_commune`` for every level of the project's territories."""
    frames = []
    for level in LEVELS:
        table = level_frame(territoires, level)
        if table is not None:
            frames.append(table[["code", "code_commune"]].assign(niveau=level))
    if not frames:
        return pd.DataFrame(columns=["niveau", "code", "code_commune"])
    out = pd.concat(frames, ignore_index=True).astype(str)
    return out.drop_duplicates()


def families(indicateurs: list[str], sommes: dict[str, tuple[str, ...]] | None) -> dict:
    """Each indicator's family: the indicators linked to it by ``sommes`` (total and parts)."""
    parent = {i: i for i in indicateurs}

    def root(i: str) -> str:
        while parent[i] != i:
            i = parent[i]
        return i

    pairs = [(total, part) for total, parts in (sommes or {}).items() for part in parts]
    for total, part in [*pairs, *((whole, rest) for rest, whole in RESTES.items())]:
        if total in parent and part in parent:
            parent[root(part)] = root(total)
    return {i: root(i) for i in indicateurs}


def blocks(cells: pd.DataFrame, territoires: pd.DataFrame,
           sommes: dict[str, tuple[str, ...]] | None = None,
           presence: pd.DataFrame | None = None) -> list[Block]:
    """The linear systems of ``cells`` (rows of one diffusion: ``niveau, code, indicateur,
    type_siae, public`` and optionally ``methode``; positions 0…n-1).

    ``presence`` (``code_commune, type_siae``) lists the (commune, kind) pairs that have an SIAE:
    for the cells attributed by implantation, the other pairs are zero.

    The text columns are categorical throughout: a national table expands to tens of millions
    of (cell, commune, kind) rows, joined and grouped on their codes.
    """
    members_of = membership(territoires)
    data = pd.DataFrame({c: _categorical(cells[c]) for c in ("indicateur", "public")})
    for column, other in (("niveau", members_of["niveau"]), ("code", members_of["code"])):
        data[column], members_of[column] = _shared(cells[column], other)
    methode = cells["methode"] if "methode" in cells.columns \
        else pd.Series("implantation", index=cells.index)
    data["methode"] = _categorical(methode)
    data["pos"] = np.arange(len(data))
    family = families([str(i) for i in data["indicateur"].cat.categories], sommes)
    data["famille"] = _categorical(pd.Series(data["indicateur"]).map(family).astype(str)) \
        if len(data) else _categorical(pd.Series([], dtype=str))
    # the base kinds of each indicator: the kinds it is published for, else ensemble alone
    type_siae = _categorical(cells["type_siae"])
    kinds = pd.DataFrame({"indicateur": data["indicateur"].to_numpy(), "type_siae": type_siae}) \
        .drop_duplicates().astype(str)
    kinds = kinds[kinds["type_siae"] != ENSEMBLE]
    alone = sorted(set(data["indicateur"].cat.categories) - set(kinds["indicateur"]))
    kinds = pd.concat([kinds, pd.DataFrame({"indicateur": alone, "type_siae": ENSEMBLE})])
    kinds = pd.concat([kinds.assign(base=kinds["type_siae"]),
                       kinds.assign(type_siae=ENSEMBLE, base=kinds["type_siae"])]) \
        .drop_duplicates(["indicateur", "type_siae", "base"])
    kind_type = pd.CategoricalDtype(sorted(set(type_siae.categories) | {ENSEMBLE}))
    data["type_siae"] = type_siae.set_categories(kind_type.categories)
    kinds = kinds.astype({"indicateur": data["indicateur"].dtype, "type_siae": kind_type,
                          "base": kind_type})
    members_of["code_commune"] = _categorical(members_of["code_commune"])
    members = _members(data, members_of, kinds, presence)
    if "valeur" in cells.columns:
        members = _with_remainders(members, cells["valeur"].to_numpy(dtype=float,
                                                                   na_value=np.nan))
    out = []
    for (public, methode, _), group in members.groupby(["public", "methode", "famille"],
                                                        sort=True, observed=True):
        block_cells = np.unique(group["pos"].to_numpy())
        row = np.searchsorted(block_cells, group["pos"].to_numpy())
        column, names = _variables(group)
        matrix = sparse.csr_matrix((group["coef"].to_numpy(), (row, column)),
                                   shape=(len(block_cells), len(names)))
        matrix.sum_duplicates()
        matrix.data = np.sign(matrix.data)  # a commune listed twice is still counted once
        matrix.eliminate_zeros()
        links = _links(pd.Index(names), sommes or {})
        inside = {str(i) for i in data["indicateur"].iloc[block_cells].unique()}
        out.append(Block(str(public), str(methode), tuple(sorted(inside)), block_cells,
                         matrix, links))
    return out


def presence(data: pd.DataFrame) -> pd.DataFrame | None:
    """The (commune, kind) pairs with an SIAE, from the published ``nb_siae`` of the communes
    (the list of the structures is public): elsewhere a figure by implantation is zero."""
    rows = data[(data["indicateur"] == "nb_siae") & (data["niveau"] == "commune")
                & (data["type_siae"] != "ensemble") & (data["valeur"] > 0)]
    if rows.empty:
        return None
    return pd.DataFrame({"code_commune": rows["code"].astype(str).to_numpy(),
                         "type_siae": rows["type_siae"].astype(str).to_numpy()})


def _members(data: pd.DataFrame, members_of: pd.DataFrame, kinds: pd.DataFrame,
             presence: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (cell, commune, base kind) of the model, in the order of the cells, then
    of ``members_of``, then of ``kinds``. By implantation, a base kind is kept only in the
    communes ``presence`` lists for it: the pairs are joined before the communes, so that a
    national table never expands to every commune of every kind."""
    members_of = members_of.assign(rang_commune=np.arange(len(members_of)))
    cell_kinds = data.merge(kinds.assign(rang_type=np.arange(len(kinds))),
                            on=["indicateur", "type_siae"])
    if presence is None:
        members = cell_kinds.merge(members_of, on=["niveau", "code"])
    else:
        free = ((cell_kinds["base"] == ENSEMBLE)
                | (cell_kinds["methode"] != "implantation")).to_numpy()
        pairs = pd.DataFrame({
            "code_commune": _recoded(presence["code_commune"], members_of["code_commune"].dtype),
            "base": _recoded(presence["type_siae"], cell_kinds["base"].dtype),
        }).dropna().drop_duplicates()
        sites = members_of.merge(pairs, on="code_commune")
        # most (cell, kind) pairs have no SIAE of their kind in their territory: left out
        # before the join, which would otherwise hold keys for millions of rows
        placed = ~free & _combination_in(cell_kinds, sites, ["niveau", "code", "base"])
        members = pd.concat([
            cell_kinds[free].merge(members_of, on=["niveau", "code"]),
            cell_kinds[placed].merge(sites, on=["niveau", "code", "base"])],
            ignore_index=True)
    members = members.sort_values(["pos", "rang_commune", "rang_type"], kind="stable")
    return members.drop(columns=["rang_commune", "rang_type"]).reset_index(drop=True) \
        .assign(coef=1.0)


def _recoded(values: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """``values`` as text in the categories of ``dtype`` (missing where not one of them)."""
    codes = dtype.categories.get_indexer(values.astype(str))
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _combination_in(left: pd.DataFrame, right: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Whether each row of ``left`` takes, on ``columns`` (categoricals), a combination some
    row of ``right`` takes; compared on codes when both frames share each column's categories
    in the same order (two unordered dtypes of one set in two orders compare equal)."""
    if not all(left[c].cat.categories.equals(right[c].cat.categories) for c in columns):
        return left[columns].merge(right[columns].drop_duplicates(), how="left",
                                   indicator=True)["_merge"].eq("both").to_numpy()
    return np.isin(row_keys(left, columns), row_keys(right, columns))


def _categorical(values: pd.Series) -> pd.Categorical:
    """``values`` as text categories (those present), sorted as a sort of the texts would
    order them; a categorical column is recoded through its categories, not its rows."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical(values.astype(str).to_numpy())
    codes = values.cat.codes.to_numpy()
    # a missing value (code -1) reads as the text "nan", the last name
    names = np.append(values.cat.categories.astype(str).to_numpy(dtype=object), "nan")
    present = np.unique(codes)
    dtype = pd.CategoricalDtype(sorted(set(names[present])))
    recode = np.full(len(names), -1)
    recode[present] = dtype.categories.get_indexer(names[present])
    return pd.Categorical.from_codes(recode[codes], dtype=dtype)


def _shared(values: pd.Series, other: pd.Series) -> tuple[pd.Categorical, pd.Categorical]:
    """Two text columns as categoricals of one dtype (joined on their codes)."""
    left, right = _categorical(values), _categorical(other)
    names = sorted(set(left.categories) | set(right.categories))
    return left.set_categories(names), right.set_categories(names)


def _variables(group: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The column of each row of ``group`` and the names ``indicateur|commune|kind`` of the
    columns, sorted (each distinct base cell named once)."""
    parts = [group[c] for c in ("indicateur", "code_commune", "base")]
    sizes = [len(p.cat.categories) + 1 for p in parts]  # + 1: a missing value reads "nan"
    key = np.zeros(len(group), dtype=np.int64)  # in place: a national block has millions
    for part, size in zip(parts, sizes, strict=True):
        found = part.cat.codes.to_numpy()
        key *= size
        key += found
        key[found < 0] += size  # a missing value (-1) as the last code
    codes, uniques = pd.factorize(key)
    names = None
    for part, size in zip(reversed(parts), reversed(sizes), strict=True):
        texts = np.append(part.cat.categories.astype(str).to_numpy(dtype=object), "nan")
        text = texts[uniques % size]
        names = text if names is None else text + "|" + names
        uniques = uniques // size
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], names[order]


def _with_remainders(members: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    """``members`` where a territory's value is not the sum of its communes' values (the
    source's own figure): the cell gets a remainder of its own, free in sign (two base cells,
    ``+`` and ``−``), which the indicator of ``RESTES`` publishes when the table has it."""
    communes = members[(members["niveau"] == "commune")
                       & (members["type_siae"] == members["base"])]
    known = pd.Series(values[communes["pos"].to_numpy()],
                      index=pd.MultiIndex.from_frame(communes[_BASE]))
    known = known[~known.index.duplicated()]
    above = members[(members["niveau"] != "commune")
                    & ~members["indicateur"].isin(list(RESTES))]
    parts = pd.DataFrame({"pos": above["pos"].to_numpy(),
                          "part": known.reindex(pd.MultiIndex.from_frame(above[_BASE]))
                          .to_numpy()})
    parts["inconnue"] = parts["part"].isna()
    sums = parts.groupby("pos").agg(somme=("part", "sum"), inconnue=("inconnue", "any"))
    value = values[sums.index.to_numpy()]
    gap = ~sums["inconnue"].to_numpy() & ~np.isnan(value) \
        & ~np.isclose(value, sums["somme"].to_numpy(), rtol=1e-9, atol=1e-6)
    # a territory whose remainder is published has it whatever its communes show (one of them
    # may be unknown: a value dropped at reading)
    rests = members[members["indicateur"].isin(list(RESTES))].drop_duplicates("pos")
    known_rests = rests[~np.isnan(values[rests["pos"].to_numpy()])]
    published_rest = pd.MultiIndex.from_arrays(
        [known_rests["indicateur"].astype(str).map(RESTES), known_rests["niveau"].astype(str),
         known_rests["code"].astype(str), known_rests["type_siae"].astype(str)])
    has_rest = pd.MultiIndex.from_arrays(
        [members["indicateur"], members["niveau"], members["code"],
         members["type_siae"]]).isin(published_rest)
    own = members[members["pos"].isin(sums.index[gap]) | has_rest].drop_duplicates("pos")
    own_key = _key(own)
    extra = []
    for sign, tag in ((1.0, "+"), (-1.0, "-")):
        extra.append(own.assign(code_commune="reste" + tag + own_key, coef=sign))
    if not rests.empty:
        whole = rests["indicateur"].astype(str).map(RESTES)
        rest_key = _key(rests)
        for sign, tag in ((1.0, "+"), (-1.0, "-")):
            extra.append(rests.assign(indicateur=whole, code_commune="reste" + tag + rest_key,
                                      coef=sign))
        members = members[~members["indicateur"].isin(list(RESTES))]
    return _concat(members, extra)


def _key(frame: pd.DataFrame) -> pd.Series:
    """``niveau:code:type_siae`` of each row, the name of a remainder."""
    return frame["niveau"].astype(str) + ":" + frame["code"].astype(str) + ":" \
        + frame["type_siae"].astype(str)


def _concat(members: pd.DataFrame, extra: list[pd.DataFrame]) -> pd.DataFrame:
    """``members`` and the rows of ``extra``, every categorical column of ``members`` kept
    categorical (its categories widened to the new values)."""
    columns = {}
    for column in members.columns:
        if isinstance(members[column].dtype, pd.CategoricalDtype):
            texts = set(members[column].cat.categories).union(
                *(set(frame[column].astype(str)) for frame in extra))
            columns[column] = pd.CategoricalDtype(sorted(texts))
    frames = [members.assign(**{c: members[c].cat.set_categories(d.categories)
                                for c, d in columns.items()})]
    frames += [frame.assign(**{c: frame[c].astype(str).astype(d) for c, d in columns.items()})
               for frame in extra]
    return pd.concat(frames, ignore_index=True)


_BASE = ["indicateur", "code_commune", "base", "public", "methode"]


def _links(names: pd.Index, sommes: dict[str, tuple[str, ...]]) -> sparse.csr_matrix:
    """Rows ``total − Σ parts = 0`` over the base cells ``names`` (``indicateur|commune|kind``,
    sorted) where the total and every part exist: one row per total of ``sommes`` and per
    ``commune|kind`` (in their order) that the total and all its parts have."""
    split = names.str.split("|", n=1, expand=True) if len(names) else None
    rows, cols, vals = [], [], []
    count = 0
    if split is not None:
        indicateur = np.asarray(split.get_level_values(0), dtype=object)
        rest = np.asarray(split.get_level_values(1), dtype=object)
        present = set(indicateur)
        for total, parts in sommes.items():
            members = (total, *parts)
            if not all(m in present for m in members):
                continue
            # the names are sorted: each indicator's rests are sorted, their columns contiguous
            columns = [np.flatnonzero(indicateur == m) for m in members]
            common = rest[columns[0]]
            for column in columns[1:]:
                common = np.intersect1d(common, rest[column], assume_unique=True)
            table = np.stack([column[np.searchsorted(rest[column], common)]
                              for column in columns], axis=1)
            rows.append(np.repeat(count + np.arange(len(common)), len(members)))
            cols.append(table.ravel())
            vals.append(np.tile([1.0] + [-1.0] * len(parts), len(common)))
            count += len(common)
    if not rows:
        return sparse.csr_matrix((0, len(names)))
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(count, len(names)))
