"""Choropleth maps from GeoJSON commune outlines (no GDAL)."""

from __future__ import annotations

import json
import math
import re

import pandas as pd

from iae_etat.report import maps
from tests.conftest import ROOT


def _square(x: float, y: float) -> list:
    return [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]


def _geojson(tmp_path) -> list:
    features = [{"type": "Feature", "properties": {"code": code},
                 "geometry": {"type": "Polygon", "coordinates": _square(x, 45.0)}}
                for code, x in (("26001", 4.0), ("26002", 5.0), ("26003", 6.0))]
    features.append({"type": "Feature", "properties": {"code_commune": "26004"},
                     "geometry": {"type": "MultiPolygon",
                                  "coordinates": [_square(4.0, 46.0), _square(7.0, 46.0)]}})
    path = tmp_path / "communes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return [path]


def test_outlines_are_read_from_polygons_and_multipolygons(tmp_path):
    outlines = maps.load_outlines(_geojson(tmp_path))
    assert sorted(outlines) == ["26001", "26002", "26003", "26004"]
    assert len(outlines["26004"]) == 2 and outlines["26001"][0][0] == (4.0, 45.0)


def test_territory_borders_leave_out_edges_inside_a_territory(tmp_path):
    outlines = maps.load_outlines(_geojson(tmp_path))
    one = {"26001": "A", "26002": "A", "26003": "B", "26004": "B"}
    lines = maps.borders({k: outlines[k] for k in ("26001", "26002", "26003")}, one)
    points = {p for line in lines for p in line}
    segments = {frozenset(s) for line in lines for s in zip(line, line[1:], strict=False)}
    assert frozenset({(5.0, 45.0), (5.0, 46.0)}) not in segments  # 26001 | 26002, both in A
    assert frozenset({(6.0, 45.0), (6.0, 46.0)}) in segments  # 26002 | 26003, A | B
    assert (4.0, 45.0) in points


def test_classes_leave_zero_apart_and_grow():
    bounds = maps.classes([0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert bounds == sorted(set(bounds)) and bounds[-1] == 10 and bounds[0] > 0
    assert maps._class_of(0, bounds) == -1 and maps._class_of(10, bounds) == len(bounds) - 1


def test_map_is_svg_with_hatching_for_secret_and_missing(tmp_path):
    outlines = maps.load_outlines(_geojson(tmp_path))
    svg = maps.choropleth(outlines, {"26001": (3.0, "publie"), "26002": (math.nan, "s"),
                                       "26003": (0.0, "publie")}, "personnes", decimales=0)
    assert svg.startswith("<svg") and "<pattern" in svg
    for text in ("s : secret statistique", "nd : non disponible", "personnes"):
        assert text in svg
    assert not re.search(r"\d\.\d{2,}", " ".join(re.findall(r' d="([^"]*)"', svg)))


def test_banded_map_uses_fixed_classes_and_their_labels(tmp_path):
    """0.1 → très bonne (lightest), 0.2 → bonne (a lower bound belongs to its band), 0.95 →
    très faible (darkest); every band is in the legend even when empty."""
    outlines = maps.load_outlines(_geojson(tmp_path))
    values = {"26001": (0.1, "publie"), "26002": (0.2, "publie"), "26003": (0.95, "publie"),
              "26004": (0.0, "publie")}
    svg = maps.choropleth(outlines, values, "indice", decimales=2, bands=maps.INDICE_BANDS)
    for _, label in maps.INDICE_BANDS:
        assert label.split(" (")[0] in svg
    fills = re.findall(r"fill: ?(#[0-9a-f]{6})", svg)
    assert maps.PALETTE[0] in fills and maps.PALETTE[1] in fills and maps.PALETTE[4] in fills
    assert "plus de" not in svg


def test_without_outlines_the_report_says_so(tmp_path):
    territoires = pd.DataFrame({"code_commune": ["26001"], "code_epci": ["200000001"]})
    result = maps.report_maps(tmp_path, 2025, pd.DataFrame(), territoires)
    assert result["cartes"] == [] and "data/raw/geo/" in result["message"]


def test_demo_report_embeds_the_maps_with_alt_text(built_demo):
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    labels = re.findall(r'<figure class="carte">\s*<div role="img" aria-label="([^"]+)"><svg', page)
    # taux d'équipement by EPCI, indice de couverture by EPCI, by zone d'emploi, needs by commune
    assert len(labels) == 4
    assert all(label.startswith("Carte : ") for label in labels)
    assert any("Indice de couverture" in label and "très faible" in label for label in labels)
    assert any("zone d&#39;emploi" in label for label in labels)


def test_committed_outlines_are_small_and_cover_the_demo():
    path = ROOT / "data/raw/geo/communes-26.geojson"
    assert path.stat().st_size < 1.5 * 1024 * 1024
    from iae_etat.territoires import referentiel

    codes = set(referentiel.territoires(["26"])["code_commune"])
    assert set(maps.load_outlines([path])) == codes


def test_one_meaning_of_dark_names_and_readable_legends(tmp_path):
    """A low taux d'équipement is dark (``inverse``), as a poor coverage and a large need are;
    the territories are named; the legend prints at 9 pt or more."""
    outlines = maps.load_outlines(_geojson(tmp_path))
    values = {"A": (1.0, "publie"), "B": (50.0, "publie")}
    groups = {"26001": "A", "26002": "A", "26003": "B", "26004": "B"}
    svg = maps.choropleth(outlines, values, "ETP pour 1 000 DE", groups, inverse=True,
                          noms={"A": "CC Alpha", "B": "CC Bêta"})
    assert ">Alpha<" in svg and ">Bêta<" in svg
    fills = re.findall(r"fill: ?(#[0-9a-f]{6})", svg)
    # two classes: A (lowest) gets the darker of the two colours, B the lighter
    assert maps.PALETTE[1] in fills and maps.PALETTE[0] in fills
    straight = maps.choropleth(outlines, values, "ETP pour 1 000 DE", groups)
    assert fills.index(maps.PALETTE[1]) != re.findall(r"fill: ?(#[0-9a-f]{6})",
                                                      straight).index(maps.PALETTE[1])
    texts = dict((t, float(size)) for size, t in re.findall(
        r'<text style="font-size: ([\d.]+)px[^>]*>([^<]*)', svg))
    assert texts["Alpha"] == 6.5  # named without the legal form « CC »
    # the legend: its title and each class at 9 pt or more (the map prints at its size)
    assert texts["ETP pour 1 000 DE"] >= 9 and texts["plus de 1,0 à 50,0"] >= 9
