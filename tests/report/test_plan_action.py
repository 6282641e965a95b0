"""Axis « création de structures »: territories and types of SIAE without offer."""

from __future__ import annotations

import math

import pandas as pd

from iae_etat.report.plan_action import types_absents


def _rows(rows: list[tuple]) -> pd.DataFrame:
    """(code, libelle, indicateur, type_siae, valeur, statut) of EPCI rows."""
    return pd.DataFrame(rows, columns=["code", "libelle", "indicateur", "type_siae", "valeur",
                                       "statut"]).assign(diffusion="publique", niveau="epci",
                                                         public="ensemble")


def test_types_without_structure_most_first_then_largest_need():
    rows = _rows([
        ("1", "CC Un", "nb_siae", "ensemble", 5, "publie"),
        ("1", "CC Un", "de_abc", "ensemble", 900, "publie"),
        *[("1", "CC Un", "nb_siae", kind, 1, "publie") for kind in ("ACI", "AI", "EI", "ETTI")],
        ("1", "CC Un", "nb_siae", "EITI", 0, "publie"),  # one type missing
        ("2", "CC Deux", "nb_siae", "ensemble", 1, "publie"),
        ("2", "CC Deux", "de_abc", "ensemble", 300, "publie"),
        ("2", "CC Deux", "nb_siae", "ACI", 1, "publie"),  # no row for the four others
        ("3", "CC Trois", "nb_siae", "ensemble", 6, "publie"),
        ("3", "CC Trois", "de_abc", "ensemble", 2000, "publie"),
        *[("3", "CC Trois", "nb_siae", kind, 1, "publie") for kind in ("ACI", "AI", "EI")],
        ("3", "CC Trois", "nb_siae", "ETTI", math.nan, "s"),  # secret: not counted as none
        ("3", "CC Trois", "nb_siae", "EITI", 0, "publie")])
    out = types_absents(rows)
    assert [(r["libelle"], r["types"], r["nombre"]) for r in out] == [
        ("CC Deux", "AI, EI, ETTI, EITI", 4),
        ("CC Trois", "EITI", 1),  # 2 000 demandeurs d'emploi before CC Un's 900
        ("CC Un", "EITI", 1)]
    assert out[1]["besoin"] == "2\u202f000"


def test_no_territory_no_row():
    assert types_absents(_rows([])) == []
