"""The « Données » sheet of ``tableau-de-bord.xlsx``: the indicators in long form for pivot tables.

One row per territory × indicator × type of SIAE × public, every code beside its label, the
value as a number (empty when it is not published: the « Statut » column says why); also
published as CSV, and only there past ``WORKBOOK_ROWS_MAX`` rows (``tableau_de_bord_csv``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import LEVEL_LABELS
from iae_etat.report.tableau_de_bord_cellules import (
    as_categorical,
    format_of,
    french_rank,
    in_order,
    indicator_order,
    kind_label,
    kind_rank,
    labelled,
    level_rank,
    number_style,
    per_value,
    public_label,
    unite_of,
)
from iae_etat.report.tableau_de_bord_csv import LongTable
from iae_etat.report.xlsx_stream import Column

TITLES = ["Niveau", "Code", "Territoire", "Type de SIAE", "Public", "Indicateur",
          "Code indicateur", "Unité", "Valeur", "Statut"]
STATUTS = {"publie": "publié", "s": "secret statistique", "nd": "non disponible"}


def donnees_table(data: pd.DataFrame, millesime: int, restreinte: bool) -> LongTable:
    """The long table of ``data`` (rows of one diffusion, those present: ``present_rows``)."""
    order = {code: rank for rank, code in enumerate(indicator_order(data))}
    data = in_order(data, {
        "_level": level_rank(data["niveau"]), "_tri": french_rank(data["libelle"]),
        "code": data["code"].array,
        "_ind": per_value(data["indicateur"], order.__getitem__, np.int32),
        "_kind": kind_rank(data["type_siae"]),
        "_public": per_value(data["public"], lambda public: public != "ensemble", bool),
        "public": data["public"].array})

    def cells(start: int, stop: int) -> list[Column]:
        return _columns(data.iloc[start:stop], restreinte)

    return LongTable(
        "Données", f"Données des indicateurs — millésime {millesime}",
        "Une ligne par territoire, indicateur, type de SIAE et public, pour les tableaux "
        "croisés dynamiques ; la valeur est vide quand elle n'est pas publiée (colonne "
        "« Statut »).", TITLES, len(data), cells, [14, 12, 34, 12, 30, 44, 26, 18, 14, 18])


def _columns(data: pd.DataFrame, restreinte: bool) -> list[Column]:
    """The cells of rows of « Données » (``data``: rows of ``out_indicateurs``, in order)."""
    values = data["valeur"].to_numpy(dtype=float, na_value=np.nan)
    statuts = data["statut"].astype(object).to_numpy()
    shown = ~np.isnan(values) & ((statuts == "publie") | ((statuts == "s") & restreinte))
    numbers, number_of = np.unique(values[shown], return_inverse=True)
    number_codes = np.full(len(data), 0, dtype=np.int64)
    number_codes[shown] = number_of.reshape(-1)
    unites = per_value(data["indicateur"], unite_of)
    formats = {u: k for k, u in enumerate(sorted(set(pd.unique(unites))))}
    styles = [number_style(format_of(u)) for u in sorted(formats)]
    styles += [number_style(format_of(u), True) for u in sorted(formats)]
    style_codes = per_value(data["indicateur"], lambda i: formats[unite_of(i)]).astype(np.int64)
    style_codes = np.where(statuts == "s", style_codes + len(formats), style_codes)
    style_codes[~shown] = -1
    text = np.zeros(len(data), dtype=np.int64)
    return [
        Column(1, labelled(data["niveau"], lambda n: LEVEL_LABELS.get(n, n)), text),
        Column(2, as_categorical(data["code"]), text),
        Column(3, as_categorical(data["libelle"]), text),
        Column(4, labelled(data["type_siae"], kind_label), text),
        Column(5, labelled(data["public"], public_label), text),
        Column(6, labelled(data["indicateur"],
                            lambda i: BY_CODE[i].libelle if i in BY_CODE else i), text),
        Column(7, as_categorical(data["indicateur"]), text),
        Column(8, pd.Categorical(unites), text),
        Column(9, pd.Categorical.from_codes(number_codes, pd.Index(numbers.tolist() or [0.0],
                                                                  dtype=object)),
               style_codes, tuple(styles) or (number_style(format_of("")),)),
        Column(10, labelled(data["statut"], lambda s: STATUTS.get(s, s)), text)]
