"""Indicators computed from other indicators of the cell (analyse/computed.py): the recipe of
CONTRIBUTING.md « Add an indicator », followed on a copy of the catalogue."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.analyse.computed import COMPUTED, Computed, computed_indicators, computes
from iae_etat.analyse.secret import CONTRIBUTION_MAX
from iae_etat.common.indicators import CATALOGUE_FILE, load_catalogue

ROOT = Path(__file__).parents[2]
NEW = """
- code: etp_par_siae
  libelle: ETP conventionnés par SIAE
  definition: Taille moyenne des SIAE du territoire, en postes.
  formule: ETP conventionnés / nombre de SIAE
  unite: ETP
  sources:
  - core_structures
  par_type: true
"""


def _catalogue():
    text = (ROOT / "schemas" / CATALOGUE_FILE).read_text("utf-8") + NEW
    return {i.code: i for i in load_catalogue(text)}


def _table() -> pd.DataFrame:
    rows = [("epci", "200000001", "CC Un", ind, kind, "ensemble", value, "implantation")
            for ind, kind, value in (("etp_conventionnes", "ensemble", 30.0),
                                     ("nb_siae", "ensemble", 4.0),
                                     ("etp_conventionnes", "ACI", 12.0),
                                     ("nb_siae", "ACI", 0.0),
                                     ("salaries_annee", "ensemble", 50.0))]
    table = pd.DataFrame(rows, columns=["niveau", "code", "libelle", "indicateur", "type_siae",
                                        "public", "valeur", "methode"])
    table["unite"] = ""
    table[CONTRIBUTION_MAX] = float("nan")
    return table.astype({c: "category" for c in ["niveau", "code", "indicateur", "type_siae"]})


def test_a_computed_indicator_from_a_copy_of_the_catalogue():
    registry = {}

    def etp_par_siae(etp, nb):
        return etp / nb.where(nb > 0)

    registry["etp_par_siae"] = Computed("etp_par_siae", ("etp_conventionnes", "nb_siae"),
                                        etp_par_siae)
    out = computed_indicators(_table(), registry, _catalogue())
    values = out.set_index("type_siae")["valeur"]
    assert values["ensemble"] == 30 / 4  # 7.5 ETP per SIAE
    assert math.isnan(values["ACI"])  # no ACI: not available, never a division by zero
    assert set(out["unite"]) == {"ETP"} and set(out["methode"]) == {"implantation"}
    assert set(out["indicateur"]) == {"etp_par_siae"}


def test_a_computed_indicator_follows_its_catalogue_entry_and_must_be_declared():
    catalogue = _catalogue()
    registry = {"etp_par_siae": Computed("etp_par_siae", ("etp_conventionnes", "nb_siae"),
                                         lambda etp, nb: etp / nb)}
    catalogue["etp_par_siae"] = catalogue["etp_par_siae"].__class__(
        **{**catalogue["etp_par_siae"].__dict__, "par_type": False})
    assert list(computed_indicators(_table(), registry, catalogue)["type_siae"]) == ["ensemble"]
    with pytest.raises(ValueError, match="schemas/indicateurs.yaml"):
        computed_indicators(_table(), {"inconnu": Computed("inconnu", ("nb_siae",), abs)},
                            catalogue)


def test_computes_registers_the_function(monkeypatch):
    monkeypatch.setattr("iae_etat.analyse.computed.COMPUTED", dict(COMPUTED))
    from iae_etat.analyse import computed

    @computes("etp_par_siae", "etp_conventionnes", "nb_siae")
    def etp_par_siae(etp, nb):
        return etp / nb

    assert computed.COMPUTED["etp_par_siae"].inputs == ("etp_conventionnes", "nb_siae")
    assert "etp_par_siae" not in COMPUTED
