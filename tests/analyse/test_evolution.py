"""out_evolution written in parts: same rows as in one piece, in the primary key's order."""

from __future__ import annotations

import pandas as pd
import pytest

from iae_etat.analyse.evolution import KEY, evolution, evolution_parts
from iae_etat.tables.catalogue import Catalogue


def _indicateurs(shift: float) -> pd.DataFrame:
    rows = []
    for diffusion in ("publique", "restreinte"):
        for niveau, code in (("commune", "26001"), ("commune", "07002"), ("epci", "200000001"),
                             ("departement", "26"), ("departement", "07")):
            for public in ("ensemble", "femmes"):
                secret = code == "26001" and public == "femmes"
                rows.append((diffusion, niveau, code, f"T{code}", "salaries_annee", "personnes",
                             "ensemble", public,
                             None if secret and diffusion == "publique" else 5.0 + shift,
                             "s" if secret else "publie"))
    return pd.DataFrame(rows, columns=["diffusion", "niveau", "code", "libelle", "indicateur",
                                       "unite", "type_siae", "public", "valeur", "statut"])


def test_parts_hold_the_same_rows_in_key_order(tmp_path):
    current = _indicateurs(2.0)
    reference = _indicateurs(0.0)
    categorical = reference.astype({c: "category" for c in ("diffusion", "niveau", "code",
                                                            "statut")})
    previous = {2023: categorical.iloc[::-1], 2024: reference}
    parts = list(evolution_parts(current, previous, rows_per_part=4))
    assert len(parts) > 4
    order = [*KEY, "millesime_reference"]
    whole = evolution(current, {2023: reference, 2024: reference}).sort_values(order)
    joined = pd.concat(parts).sort_values(order)
    assert len(joined) == len(whole) == 2 * len(current)
    pd.testing.assert_frame_equal(joined.reset_index(drop=True).astype(whole.dtypes.to_dict()),
                                  whole.reset_index(drop=True), check_dtype=False)
    catalogue = Catalogue(tmp_path)
    path = catalogue.write_parts("out_evolution", parts)
    written = pd.read_parquet(path)
    assert list(zip(*[written[c] for c in order], strict=True)) == \
        sorted(zip(*[written[c] for c in order], strict=True))
    assert catalogue.write("out_evolution", whole).read_bytes() != b""
    pd.testing.assert_frame_equal(pd.read_parquet(catalogue.path("out_evolution")), written)


def test_parts_out_of_order_are_refused(tmp_path):
    parts = list(evolution_parts(_indicateurs(1.0), {2024: _indicateurs(0.0)}, 4))
    with pytest.raises(ValueError):
        Catalogue(tmp_path).write_parts("out_evolution", parts[::-1])


def test_no_earlier_millesime_gives_an_empty_table(tmp_path):
    [part] = list(evolution_parts(_indicateurs(1.0), {}))
    assert part.empty
    path = Catalogue(tmp_path).write_parts("out_evolution", [part])
    assert pd.read_parquet(path).empty


def test_a_series_break_is_told_beside_the_evolutions_it_concerns():
    from iae_etat.analyse.evolution import with_breaks
    from iae_etat.sources.adapters import Rupture

    rows = pd.DataFrame({"indicateur": ["de_abc", "de_abc", "etp_conventionnes"],
                         "millesime_reference": [2024, 2025, 2024]})
    rupture = Rupture("france_travail", 2025, "loi pour le plein emploi", ("de_abc",))
    # declared by two adapters of the source: told once
    out = with_breaks(rows, [rupture, rupture], 2026)
    assert out["rupture"].tolist() == [
        "Rupture de série en 2025 : loi pour le plein emploi", "", ""]
    # a millésime before the break: nothing to tell
    assert with_breaks(rows, [rupture], 2024)["rupture"].tolist() == ["", "", ""]
