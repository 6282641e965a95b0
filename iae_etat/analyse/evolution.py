"""Evolution of every indicator against each previous millésime built in the project (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from iae_etat.analyse.secret import NON_DISPONIBLE, PUBLIE, SECRET, STATUTS
from iae_etat.tables.codage import keyed

KEY = ["diffusion", "niveau", "code", "indicateur", "type_siae", "public"]
REFERENCE_COLUMNS = [*KEY, "valeur", "statut"]
# Text columns of the earlier millésimes read as dictionaries (categoricals): a few codes
# repeated over millions of rows.
DICTIONARY_COLUMNS = [c for c in REFERENCE_COLUMNS if c != "valeur"]
# current rows per part, each compared with every earlier millésime (a million: 1,9 Gio national)
PART_ROWS = 250_000
RATES = ("%", "points")  # units whose change is a difference in points, not a percentage


def with_breaks(frame: pd.DataFrame, ruptures: list, millesime: int) -> pd.DataFrame:
    """``frame`` (rows of ``out_evolution``) with ``rupture``: the series breaks of the sources
    (``adapters.Rupture``) between each row's reference and ``millesime`` that concern its
    indicator, as the report tells them (empty when none), written once per indicator and
    reference millésime."""
    once: dict = {}
    for rupture in ruptures:  # a source's break declared by several of its adapters
        once.setdefault((rupture.annee, rupture.motif), rupture)
    told = list(once.values())
    indicators, indicator_names = pd.factorize(frame["indicateur"])
    # a few years over millions of rows: hashed, not sorted
    references, years = pd.factorize(frame["millesime_reference"].to_numpy(), sort=True)
    texts = np.array([" ".join(r.texte() for r in told if indicator in r.indicateurs
                               and year < r.annee <= millesime)
                      for indicator in indicator_names for year in years] or [""], dtype=object)
    pairs = indicators * len(years) + references.reshape(-1)
    # a few texts over millions of rows: a dictionary, spelt out row group by row group when
    # written (as text, a national part of two million rows held 600 Mio more)
    text_of_pair, distinct = pd.factorize(texts)
    return frame.assign(rupture=pd.Categorical.from_codes(text_of_pair[pairs], distinct))


def evolution(current: pd.DataFrame, previous: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Rows of ``out_evolution``: current values against each earlier millésime.

    Territories are matched by code; a value missing on either side gives ``nd``, a secret one
    (``s`` in the publique rows) gives ``s`` and no value, so no secret can be derived.
    """
    return pd.concat(list(evolution_parts(current, previous, max(len(current), 1))),
                     ignore_index=True)


def evolution_parts(current: pd.DataFrame,
                    previous: dict[int, pd.DataFrame
                                   | Callable[[], Iterable[pd.DataFrame]]],
                    rows_per_part: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """``evolution`` piece by piece, in the order of out_evolution's primary key.

    ``previous`` gives each earlier millésime's table, or a function that reads it in parts:
    each part is matched to the current rows on integer keys and reduced to its values and
    secrets aligned on them. A piece then compares up to ``rows_per_part`` current rows (in key
    order) with every earlier millésime, so that a national scope never holds all the compared
    rows, nor an earlier table whole.
    """
    keys, values = keyed(current, KEY)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    aligned = {}
    for millesime in sorted(previous):
        reference = previous[millesime]
        parts = reference() if callable(reference) else [reference]
        aligned[millesime] = _aligned(keys, order, values, parts)
    del keys
    empty = True
    for start in range(0, len(order), rows_per_part):
        rows = order[start:start + rows_per_part]
        frames = []
        for millesime, (hit, valeur, secret) in aligned.items():
            matched = rows[hit[rows]]
            if len(matched):
                frames.append(_compare(current.iloc[matched], valeur[matched], secret[matched],
                                       millesime))
        if frames:
            empty = False
            yield pd.concat(frames, ignore_index=True)
    if empty:
        yield pd.DataFrame(columns=[*KEY, "libelle", "unite", "millesime_reference",
                                    "valeur_reference", "valeur", "ecart", "ecart_pct",
                                    "statut", "rupture"])


def _aligned(ordered: np.ndarray, order: np.ndarray, values: list[pd.Index],
             parts: Iterable[pd.DataFrame]) -> tuple[np.ndarray, ...]:
    """Whether each current row has its cell in the earlier table given in ``parts``, and that
    cell's value and secrecy, aligned on the current rows (see ``_matches``)."""
    hit = np.zeros(len(order), dtype=bool)
    valeur = np.full(len(order), np.nan)
    secret = np.zeros(len(order), dtype=bool)
    for part in parts:
        rows, found = _matches(ordered, order, values, part)
        hit[rows] = True
        valeur[rows] = part["valeur"].to_numpy(dtype=float, na_value=np.nan)[found]
        secret[rows] = (part["statut"] == SECRET).to_numpy()[found]
    return hit, valeur, secret


def _matches(ordered: np.ndarray, order: np.ndarray, values: list[pd.Index],
             reference: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The current rows whose cell ``reference`` has, and the position of that cell in it.
    ``ordered`` are the keys of the current rows (see ``codage.keyed``) sorted by ``order``,
    ``values`` the distinct values of their key columns; the codes of ``reference`` are
    translated into the current ones and its keys looked up by bisection."""
    keys = np.zeros(len(reference), dtype=np.int64)
    known = np.ones(len(reference), dtype=bool)
    for column, current_values in zip(KEY, values, strict=True):
        column_values = reference[column]
        if isinstance(column_values.dtype, pd.CategoricalDtype):
            found, uniques = column_values.cat.codes.to_numpy(), column_values.cat.categories
        else:
            found, uniques = pd.factorize(column_values)
        mapping = np.append(current_values.get_indexer(uniques), -1).astype(np.int32)
        translated = mapping[found]
        known &= translated >= 0
        keys *= len(current_values) + 1
        keys += translated
    where = np.searchsorted(ordered, keys)
    where[where == len(ordered)] = 0
    hit = known & (ordered[where] == keys) if len(ordered) else known & False
    return order[where[hit]], np.flatnonzero(hit)


def _compare(current: pd.DataFrame, ancienne: np.ndarray, secret_reference: np.ndarray,
             millesime: int) -> pd.DataFrame:
    """Rows of ``out_evolution``: ``current`` against the values of the same cells in
    ``millesime`` (``ancienne``) and their secrecy there."""
    merged = current.reset_index(drop=True)
    valeur = merged["valeur"].to_numpy(dtype=float, na_value=np.nan)
    ecart = valeur - ancienne
    with np.errstate(invalid="ignore", divide="ignore"):
        ecart_pct = ecart / np.where(ancienne != 0, ancienne, np.nan) * 100
    # a rate changes in points (``ecart``), never in percent of itself
    ecart_pct[merged["unite"].isin(RATES).to_numpy(dtype=bool)] = np.nan
    secret = (merged["statut"] == SECRET).to_numpy() | secret_reference
    missing = np.isnan(valeur) | np.isnan(ancienne)
    hidden = secret & (merged["diffusion"] == "publique").to_numpy()
    hide = np.where(hidden, np.nan, 1.0)
    return merged.assign(
        valeur=valeur * hide, millesime_reference=millesime, valeur_reference=ancienne * hide,
        ecart=ecart * hide, ecart_pct=ecart_pct * hide,
        rupture=pd.Series("", index=merged.index, dtype="string"),  # see with_breaks
        statut=pd.Categorical.from_codes(
            np.select([secret, missing], [STATUTS.index(SECRET), STATUTS.index(NON_DISPONIBLE)],
                      STATUTS.index(PUBLIE)), STATUTS))
