"""Evolution of every indicator against each previous millésime built in the project (pure)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

KEY = ["diffusion", "niveau", "code", "indicateur", "type_siae", "public"]
REFERENCE_COLUMNS = [*KEY, "valeur", "statut"]
# Text columns of the earlier millésimes read as dictionaries (categoricals): a few codes
# repeated over millions of rows.
DICTIONARY_COLUMNS = [c for c in REFERENCE_COLUMNS if c != "valeur"]
PART_ROWS = 1_000_000


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


def _parts(table: pd.DataFrame) -> dict[tuple, np.ndarray]:
    """Row positions of each (diffusion, niveau, first two characters of the code).

    Grouped on dictionary codes: the text of a few thousand distinct values is cut, not that
    of millions of rows.
    """
    codes, labels = [], []
    for column in ("diffusion", "niveau", "code"):
        values = table[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("category")
        text = values.cat.categories.astype(str)
        codes.append(values.cat.codes.to_numpy())
        labels.append(np.asarray(text.str[:2] if column == "code" else text, dtype=object))
    groups = pd.DataFrame(dict(enumerate(codes))).groupby([0, 1, 2], sort=False).indices
    parts: dict[tuple, list[np.ndarray]] = {}
    for key, positions in groups.items():
        label = tuple(labels[i][k] for i, k in enumerate(key))
        parts.setdefault(label, []).append(positions)
    return {label: np.concatenate(found) for label, found in parts.items()}


def evolution_parts(current: pd.DataFrame, previous: dict[int, pd.DataFrame],
                    rows_per_part: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """``evolution`` computed piece by piece, in the order of out_evolution's primary key.

    A piece gathers consecutive (diffusion, level, code prefix) groups up to ``rows_per_part``
    current rows: a national scope compares millions of rows per millésime without holding all
    the merged rows at once.
    """
    if not previous:
        yield evolution(current, {})
        return
    wanted = _parts(current)
    earlier = {m: _parts(reference) for m, reference in previous.items()}
    keys = sorted(wanted)
    while keys:
        group, size = [], 0
        while keys and (not group or size + len(wanted[keys[0]]) <= rows_per_part):
            size += len(wanted[keys[0]])
            group.append(keys.pop(0))
        references = {}
        for millesime, reference in previous.items():
            found = [earlier[millesime][k] for k in group if k in earlier[millesime]]
            references[millesime] = _plain(
                reference.iloc[np.concatenate(found) if found else np.array([], dtype=int)])
        part = evolution(current.iloc[np.concatenate([wanted[k] for k in group])], references)
        if len(part):
            yield part


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns back to text, so that they merge with the current rows."""
    return table.astype({c: "string" for c in table.columns
                         if isinstance(table[c].dtype, pd.CategoricalDtype)})
