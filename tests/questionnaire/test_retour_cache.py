"""The annotated workbooks kept between builds: made again only when what they show changed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iae_etat.project.config import load_projet
from iae_etat.questionnaire import stage
from iae_etat.tables.catalogue import Catalogue


def _write(project: Path, folder: Path, anomalies: pd.DataFrame) -> dict[str, bytes]:
    catalogue = Catalogue(project / "data/processed/2025", project)
    paths = stage.write_retours(load_projet(project), 2025, catalogue.read("core_collecte"),
                                anomalies, catalogue.read("core_reponses_lues"), folder, "",
                                catalogue.read("core_territoires"))
    return {p.name: p.read_bytes() for p in paths}


def _anomalies(project: Path) -> pd.DataFrame:
    processed = project / "data/processed/2025"
    return pd.concat([pd.read_parquet(processed / f"{name}.parquet")
                      for name in ("core_anomalies", "out_controles")], ignore_index=True)


def test_only_the_workbooks_whose_problems_changed_are_made_again(built_project, tmp_path,
                                                                  monkeypatch):
    made = []
    real = stage.retour_workbook

    def counted(*args, **kwargs):
        made.append(args[2]["siret"])
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "retour_workbook", counted)
    anomalies = _anomalies(built_project)
    first = _write(built_project, tmp_path / "a", anomalies)
    assert len(first) >= 2 and made  # the build's notice differs: made once here, then kept
    made.clear()
    again = _write(built_project, tmp_path / "b", anomalies)
    assert again == first and made == []  # nothing changed: every workbook taken back
    # one problem of one return reworded: that workbook alone is made again, and says it
    name = sorted(first)[0]
    collecte = pd.read_parquet(built_project / "data/processed/2025/core_collecte.parquet")
    fichier = collecte.loc[collecte["siret"] == name.removesuffix(".xlsx"), "fichier"].iloc[0]
    changed = anomalies.copy()
    row = changed.index[changed["fichier"] == fichier][0]
    changed.loc[row, "message"] = "Message reformulé pour le test."
    third = _write(built_project, tmp_path / "c", changed)
    assert made == [name.removesuffix(".xlsx")]
    assert third[name] != first[name]
    assert {k: v for k, v in third.items() if k != name} == \
        {k: v for k, v in first.items() if k != name}
    # a fresh build of the same problems gives the same bytes as the kept one
    monkeypatch.setattr(stage, "retour_workbook", real)
    cache = built_project / "data/cache/classeurs_retour/2025"
    for entry in cache.iterdir():
        entry.unlink()
    assert _write(built_project, tmp_path / "d", changed) == third
