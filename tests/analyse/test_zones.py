"""The coordination zone by zone: the départements a territory links are coordinated together,
the others apart, and a zone whose inputs did not change is taken back from the last build."""

from __future__ import annotations

from unittest import mock

import pandas as pd

from iae_etat.analyse import coordination, zones
from iae_etat.analyse.secret import apply_secret
from iae_etat.common.entries import Entries
from tests.analyse.test_audit import PROTECTION, _sums, _table, _verdicts

# six communes in three départements; the EPCI E2 crosses from 01 into 02
DEPARTEMENTS = ["01", "01", "02", "02", "03", "03"]
EPCI = ["E1", "E2", "E2", "E3", "E4", "E5"]
ARRONDISSEMENTS = ["A1", "A1", "A2", "A2", "A3", "A4"]


def _territoires() -> pd.DataFrame:
    communes = [f"C{i}" for i in range(len(EPCI))]
    return pd.DataFrame({"code_commune": communes, "nom_commune": communes,
                         "code_epci": EPCI, "nom_epci": EPCI,
                         "code_arrondissement": ARRONDISSEMENTS,
                         "nom_arrondissement": ARRONDISSEMENTS,
                         "code_departement": DEPARTEMENTS, "nom_departement": DEPARTEMENTS})


def _values_table(values: list[float]) -> pd.DataFrame:
    """The counts of every territory, the sums of the communes' ``values``."""
    territoires = _territoires()
    by_commune = dict(zip(territoires["code_commune"], values, strict=True))
    # no CLPE nor zone d'emploi in this project: each commune's own, dropped below
    rows = _sums(territoires.assign(code_clpe=territoires["code_commune"],
                                    code_zone_emploi=territoires["code_commune"]), by_commune)
    rows = {k: v for k, v in rows.items() if k[0] not in ("clpe", "zone_emploi")}
    for code, group in territoires.groupby("code_arrondissement"):
        rows[("arrondissement", code)] = sum(by_commune[c] for c in group["code_commune"])
    return _table(rows)


def _published(table: pd.DataFrame, territoires: pd.DataFrame, memo: Entries | None = None,
               effectifs: set[str] | None = None):
    rapport: dict = {}
    out = apply_secret(table, territoires, 11, effectifs or {"de_abc"}, {},
                       protection=PROTECTION, rapport=rapport, memo=memo)
    return out, rapport


def test_departements_a_territory_links_form_one_zone_numbered_by_their_first():
    table = pd.concat([_values_table([1.0] * 6), _table({("epci", "ailleurs"): 4.0})],
                      ignore_index=True)
    of_row, departements = zones.zones(table, _territoires())
    assert departements == [["01", "02"], ["03"], []]
    zone = dict(zip(zip(table["niveau"], table["code"], strict=True), of_row, strict=True))
    assert zone[("commune", "C0")] == zone[("epci", "E2")] == zone[("departement", "02")] == 0
    assert zone[("commune", "C5")] == zone[("arrondissement", "A3")] == 1
    assert zone[("epci", "ailleurs")] == 2            # no commune: a zone of its own


def test_each_zone_is_coordinated_as_if_it_were_published_alone():
    table = _values_table([3.0, 25.0, 4.0, 30.0, 2.0, 40.0])
    territoires = _territoires()
    out, rapport = _published(table, territoires)
    assert rapport["audit"]["reussi"]
    public = out[out["diffusion"] == "publique"].set_index(["niveau", "code"])["statut"]
    for departements in (["01", "02"], ["03"]):
        places = territoires[territoires["code_departement"].isin(departements)]
        codes = set(places["code_commune"]) | set(places["code_epci"]) \
            | set(places["code_arrondissement"]) | set(departements)
        alone, _ = _published(table[table["code"].isin(codes)].reset_index(drop=True), places)
        alone = alone[alone["diffusion"] == "publique"].set_index(["niveau", "code"])["statut"]
        assert public.loc[alone.index].tolist() == alone.tolist()
    # the outsider's exact attack over the whole table, every zone at once
    hidden = set(public.index[public == "s"])
    primary = {(n, c) for n, c, v in zip(table["niveau"], table["code"], table["valeur"],
                                         strict=True) if 0 < v < 11}
    assert primary <= hidden
    assert all(r.ok for r in _verdicts(table, territoires, hidden, primary).values())


def test_zones_coordinated_side_by_side_give_the_pattern_of_one_process():
    table = _values_table([3.0, 25.0, 4.0, 30.0, 2.0, 40.0])
    patterns = []
    for workers in (1, 2):
        with mock.patch.object(coordination, "WORKERS", workers):
            out, rapport = _published(table, _territoires())
        patterns.append((out["statut"].tolist(), rapport["audit"]))
    assert patterns[0] == patterns[1]


def test_a_changed_zone_alone_is_coordinated_again_and_the_result_is_the_cold_one(tmp_path):
    territoires = _territoires()
    memo = Entries(tmp_path / "secret", writable=True)
    _published(_values_table([3.0, 25.0, 4.0, 30.0, 2.0, 40.0]), territoires, memo)
    assert len(_zone_entries(tmp_path / "secret")) == 2        # one entry per zone
    changed = _values_table([3.0, 25.0, 4.0, 30.0, 7.0, 36.0])    # a return of 03 corrected
    computed = []
    original = coordination._coordinate_zone

    def counted(frame, *args, **kwargs):
        computed.append(sorted(set(frame["code"])))
        return original(frame, *args, **kwargs)

    with mock.patch.object(coordination, "_coordinate_zone", counted):
        warm, warm_rapport = _published(changed, territoires, memo)
    assert computed == [["03", "A3", "A4", "C4", "C5", "E4", "E5"]]
    cold, cold_rapport = _published(changed, territoires)
    pd.testing.assert_frame_equal(warm, cold)
    assert warm_rapport["audit"] == cold_rapport["audit"]
    # a damaged entry is computed again, with the same result
    for entry in (tmp_path / "secret").iterdir():
        entry.write_bytes(b"not a pickle")
    again, _ = _published(changed, territoires, Entries(tmp_path / "secret", writable=True))
    pd.testing.assert_frame_equal(again, cold)


def _zone_entries(folder) -> list:
    entries = Entries(folder)
    return [path for path in folder.iterdir()
            if entries.get(path.name.removesuffix(".pickle"), coordination.ZoneOutcome)]


def _two_indicators(de_abc: list[float], salaries: list[float]) -> pd.DataFrame:
    """Two indicators of the same territories: two blocks of the audit in each zone."""
    return pd.concat([_values_table(de_abc),
                      _values_table(salaries).assign(indicateur="salaries_annee")],
                     ignore_index=True)


def test_in_a_changed_zone_the_blocks_left_untouched_are_not_audited_again(tmp_path):
    territoires = _territoires()
    memo = Entries(tmp_path / "secret", writable=True)
    before = _two_indicators([3.0, 25.0, 4.0, 30.0, 2.0, 40.0], [5.0, 2.0, 30.0, 4.0, 50.0, 1.0])
    _published(before, territoires, memo, effectifs={"de_abc", "salaries_annee"})
    memo.prune()
    # a return of 02 corrected: its salariés alone change, in the zone of 01 and 02
    changed = _two_indicators([3.0, 25.0, 4.0, 30.0, 2.0, 40.0], [5.0, 2.0, 30.0, 9.0, 50.0, 1.0])
    audited = []
    original = coordination.audit.audit_block

    def counted(block, *args, **kwargs):
        audited.append(block.indicateurs)
        return original(block, *args, **kwargs)

    memo = Entries(tmp_path / "secret", writable=True)
    with mock.patch.object(coordination.audit, "audit_block", counted), \
            mock.patch.object(coordination, "WORKERS", 1):  # counted in this process
        warm, warm_rapport = _published(changed, territoires, memo,
                                        effectifs={"de_abc", "salaries_annee"})
    memo.prune()
    assert audited and set(audited) == {("salaries_annee",)}
    cold, cold_rapport = _published(changed, territoires, effectifs={"de_abc", "salaries_annee"})
    pd.testing.assert_frame_equal(warm, cold)
    assert warm_rapport["audit"] == cold_rapport["audit"]
    # a build taking the zones back whole keeps their blocks' verdicts for the next one
    kept = sorted(path.name for path in (tmp_path / "secret").iterdir())
    memo = Entries(tmp_path / "secret", writable=True)
    again, _ = _published(changed, territoires, memo, effectifs={"de_abc", "salaries_annee"})
    memo.prune()
    pd.testing.assert_frame_equal(again, cold)
    assert sorted(path.name for path in (tmp_path / "secret").iterdir()) == kept
    assert len(kept) > len(_zone_entries(tmp_path / "secret"))


def test_an_entry_of_another_kind_is_not_served(tmp_path):
    entries = Entries(tmp_path, writable=True)
    entries.put("k", {"not": "an outcome"})
    assert entries.get("k", coordination.ZoneOutcome) is None
    assert entries.get("k", dict) == {"not": "an outcome"}
    entries.used.clear()
    entries.put("l", 1)
    entries.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.pickle"]


def test_an_entry_that_cannot_be_removed_or_written_only_costs_time(tmp_path, monkeypatch):
    entries = Entries(tmp_path / "kept", writable=True)
    entries.put("k", 1)
    entries.used.clear()

    def refusing(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(tmp_path), "unlink", refusing)
    entries.prune()                                   # nothing raised, the entry stays
    assert entries.get("k", int) == 1
    monkeypatch.undo()
    (tmp_path / "blocked").write_text("a file where the folder should be")
    blocked = Entries(tmp_path / "blocked", writable=True)
    blocked.put("k", 1)
    assert blocked.get("k", int) is None
