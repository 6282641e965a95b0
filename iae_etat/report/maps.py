"""Choropleth maps as inline SVG (matplotlib, no GDAL) from GeoJSON commune outlines.

Outlines are read from ``data/raw/geo/`` (``*.geojson`` directly in it, or in its millésime
folder): features with a commune code property (``code``, ``code_commune``, ``codgeo`` or
``INSEE_COM``) and Polygon or MultiPolygon geometries in longitude/latitude. A level above the
commune (EPCI…) is drawn by colouring each commune with its territory's value, with the
territory borders found from the commune edges that are not shared within the territory.

One meaning of dark on every map: the darker, the more a territory calls for attention (fewer
ETP for its need, more need, poorer coverage). The classes use the ColorBrewer « YlOrRd »
sequential palette (colour-blind safe, its lightness decreasing, so it also reads in black and
white); hatching marks « s » and « nd », and the maps above the commune name their territories.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

from iae_etat.analyse.couverture import BANDES
from iae_etat.common.indicators import BY_CODE
from iae_etat.report.charts import _METADATA, _setup
from iae_etat.tables.formats import nombre

CODE_PROPERTIES = ("code", "code_commune", "codgeo", "INSEE_COM")
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd 5
ZERO_COLOUR = "#ffffff"
_NUMBER = re.compile(r"(-?\d+\.\d)\d+")
_PATH_DATA = re.compile(r' d="([^"]*)"')

Rings = list[list[tuple[float, float]]]


def geo_files(project_dir: Path, millesime: int) -> list[Path]:
    """The outline files of a project, the millésime's folder first."""
    geo = project_dir / "data" / "raw" / "geo"
    return sorted((geo / str(millesime)).glob("*.geojson")) + sorted(geo.glob("*.geojson"))


def load_outlines(files: list[Path]) -> dict[str, Rings]:
    """Commune code → outer and inner rings (the first file holding a commune wins)."""
    outlines: dict[str, Rings] = {}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        for feature in data.get("features", []):
            properties = feature.get("properties") or {}
            code = next((str(properties[k]) for k in CODE_PROPERTIES if properties.get(k)),
                        None)
            geometry = feature.get("geometry") or {}
            if code is None or code in outlines:
                continue
            if geometry.get("type") == "Polygon":
                polygons = [geometry["coordinates"]]
            elif geometry.get("type") == "MultiPolygon":
                polygons = geometry["coordinates"]
            else:
                continue
            outlines[code] = [[(float(x), float(y)) for x, y, *_ in ring]
                              for polygon in polygons for ring in polygon]
    return outlines


def classes(values: list[float], count: int = len(PALETTE)) -> list[float]:
    """Upper bounds of at most ``count`` classes of equal size (quantiles) of the values > 0."""
    ordered = sorted(v for v in values if v > 0)
    if not ordered:
        return []
    bounds = []
    for i in range(1, count):
        bound = ordered[min(len(ordered) - 1, math.ceil(i * len(ordered) / count) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    if not bounds or ordered[-1] > bounds[-1]:
        bounds.append(ordered[-1])
    return bounds


def _class_of(value: float, bounds: list[float]) -> int:
    if value <= 0:
        return -1
    return next((i for i, bound in enumerate(bounds) if value <= bound), len(bounds) - 1)


def borders(outlines: dict[str, Rings], group_of: dict[str, str]) -> list:
    """Segments between communes of different territories (and on the outer edge)."""
    count: Counter = Counter()
    owner: dict[frozenset, set] = {}
    for code, rings in outlines.items():
        group = group_of.get(code)
        for ring in rings:
            for a, b in zip(ring, ring[1:], strict=False):
                if a != b:
                    key = frozenset((a, b))
                    count[key] += 1
                    owner.setdefault(key, set()).add(group)
    segments = [tuple(key) for key, n in count.items() if n == 1 or len(owner[key]) > 1]
    return _chain(sorted(segments))


def _chain(segments: list[tuple]) -> list[list]:
    """Join segments sharing end points into polylines (fewer, longer SVG paths)."""
    at: dict[tuple, list[int]] = {}
    for index, (a, b) in enumerate(segments):
        at.setdefault(a, []).append(index)
        at.setdefault(b, []).append(index)
    used = [False] * len(segments)
    lines = []
    for start in range(len(segments)):
        if used[start]:
            continue
        used[start] = True
        line = list(segments[start])
        for forward in (True, False):
            while True:
                end = line[-1] if forward else line[0]
                following = next((i for i in at[end] if not used[i]), None)
                if following is None:
                    break
                used[following] = True
                a, b = segments[following]
                point = b if a == end else a
                if forward:
                    line.append(point)
                else:
                    line.insert(0, point)
        lines.append(line)
    return lines


def choropleth(outlines: dict[str, Rings], values: dict[str, tuple[float, str]], unit: str,
               group_of: dict[str, str] | None = None, decimales: int = 1,
               bands: tuple[tuple[float, str], ...] | None = None, inverse: bool = False,
               noms: dict[str, str] | None = None) -> str:
    """An SVG map: each commune coloured by its value (or its territory's via ``group_of``).

    ``values`` maps a territory code to (valeur, statut); a missing territory is ``nd``.
    Classes are quantiles of the values, with zero apart, unless ``bands`` gives them: (lower
    bound, label) pairs in increasing order, at most five. ``inverse`` darkens the low values
    (a low taux d'équipement calls for attention); ``noms`` (territory code → name) writes the
    names of the territories at the centre of their communes.
    """
    plt = _setup()
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch

    by_commune = group_of is None
    group_of = group_of or {code: code for code in outlines}
    published = [v for v, s in values.values() if s == "publie" and not math.isnan(v)]
    bounds = classes(published) if bands is None else [lower for lower, _ in bands]
    styles: dict[str, list] = {}
    for code, rings in sorted(outlines.items()):
        value, statut = values.get(group_of.get(code, ""), (math.nan, "nd"))
        if statut == "publie" and not math.isnan(value):
            index = _class_of(value, bounds) if bands is None else \
                max(i for i, lower in enumerate(bounds) if value >= lower or i == 0)
            key = "zero" if index < 0 else f"c{index}"
        else:
            key = "s" if statut == "s" else "nd"
        styles.setdefault(key, []).extend(rings)
    xs = [x for rings in outlines.values() for ring in rings for x, _ in ring]
    ys = [y for rings in outlines.values() for ring in rings for _, y in ring]
    fig, ax = plt.subplots(figsize=(7, 4.1))
    fig.subplots_adjust(left=0, right=0.6, bottom=0.01, top=0.99)

    def colour(index: int) -> str:
        return PALETTE[len(bounds) - 1 - index if inverse else index]

    edge = 0.25 if len(set(group_of.values())) == len(outlines) else 0.1
    legend = []
    if "zero" in styles:  # no offer: the lightest, or beyond the darkest class when inverse
        zero = "#67000d" if inverse else ZERO_COLOUR
        ax.add_collection(PolyCollection(styles["zero"], facecolors=zero,
                                         edgecolors="#9a9a9a", linewidths=edge))
        legend.append(Patch(facecolor=zero, edgecolor="black", linewidth=0.5, label="0"))
    lower = 0.0
    for index, bound in enumerate(bounds):
        rings = styles.get(f"c{index}", [])
        ax.add_collection(PolyCollection(rings, facecolors=colour(index), edgecolors="white",
                                         linewidths=edge))
        label = bands[index][1] if bands is not None else \
            f"plus de {nombre(lower, decimales)} à {nombre(bound, decimales)}"
        legend.append(Patch(facecolor=colour(index), edgecolor="black", linewidth=0.5,
                            label=label))
        lower = bound
    for key, hatch, label in (("s", "xxx", "s : secret statistique"),
                              ("nd", "///", "nd : non disponible")):
        if key in styles:
            ax.add_collection(PolyCollection(styles[key], facecolors="white",
                                             edgecolors="#555555", hatch=hatch,
                                             linewidths=edge))
            legend.append(Patch(facecolor="white", edgecolor="#555555", hatch=hatch,
                                label=label))
    lines = borders(outlines, {code: "" for code in outlines} if by_commune else group_of)
    ax.add_collection(LineCollection(lines, colors="black", linewidths=0.8))
    if noms:
        _names(ax, outlines, group_of, noms)
    for collection in ax.collections:
        collection.set_clip_on(False)
    ax.set_xlim(min(xs), max(xs))
    ax.set_ylim(min(ys), max(ys))
    ax.set_aspect(1 / math.cos(math.radians((min(ys) + max(ys)) / 2)))
    ax.set_axis_off()
    ax.legend(handles=legend, title=unit, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              ncol=1, frameon=False, fontsize=9, title_fontsize=10)
    import io

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "iae-etat"})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = _METADATA.sub("", svg[svg.index("<svg"):])
    return _PATH_DATA.sub(lambda m: ' d="' + _NUMBER.sub(r"\1", m.group(1)) + '"', svg)


def _names(ax, outlines: dict[str, Rings], group_of: dict[str, str],
           noms: dict[str, str]) -> None:
    """Each territory's name, without its legal form (« CC », « CA »…), at the area-weighted
    centre of its communes, on a light box (kept as SVG text: selectable, read in the PDF)."""
    import textwrap

    sums: dict[str, list[float]] = {}
    for code, rings in outlines.items():
        group = group_of.get(code)
        if group not in noms or not rings:
            continue
        ring = rings[0]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area:
            total = sums.setdefault(group, [0.0, 0.0, 0.0])
            total[0] += abs(area)
            total[1] += cx / (3 * area) * abs(area)
            total[2] += cy / (3 * area) * abs(area)
    for group, (area, x, y) in sorted(sums.items()):
        name = re.sub(r"^(CC|CA|CU|Métropole|Communauté \S+ \S+) (du |des |de la |de l'|de )?",
                      "", noms[group])
        ax.text(x / area, y / area, textwrap.fill(name, 16), ha="center", va="center",
                fontsize=6.5, color="#161616", linespacing=1.0,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.6})


MAPS = (("epci", "taux_equipement_etp_de_abc",
         "Taux d'équipement par EPCI : ETP conventionnés pour 1 000 demandeurs d'emploi A, B, C"),
        ("zone_emploi", "taux_equipement_etp_de_abc",
         "Taux d'équipement par zone d'emploi : ETP conventionnés pour 1 000 demandeurs "
         "d'emploi A, B, C"),
        ("commune", "de_abc", "Besoins par commune : demandeurs d'emploi A, B, C"))
INDICE_MAP = ("epci", "de_abc", "Indice de couverture des demandeurs d'emploi A, B, C par EPCI")
LEVEL_COLUMNS = {"epci": "code_epci", "arrondissement": "code_arrondissement",
                 "zone_emploi": "code_zone_emploi", "clpe": "code_clpe"}


def _indice_bands() -> tuple[tuple[float, str], ...]:
    """The bands of the indice de couverture (``analyse.couverture.BANDES``) as map classes,
    from the best covered (lightest) to the least (darkest)."""
    ordered = list(reversed(BANDES))
    out = []
    for rank, (lower, label) in enumerate(ordered):
        upper = ordered[rank + 1][0] if rank + 1 < len(ordered) else None
        if upper is None:
            out.append((lower, f"{label} ({nombre(lower, 1)} et plus)"))
        elif lower == -math.inf:
            out.append((0.0, f"{label} (moins de {nombre(upper, 1)})"))
        else:
            out.append((lower, f"{label} ({nombre(lower, 1)} à {nombre(upper, 1)})"))
    return tuple(out)


INDICE_BANDS = _indice_bands()


def report_maps(project_dir: Path, millesime: int, indicateurs, territoires,
                couverture=None) -> dict:
    """The maps of the report (``publique`` rows), or the sentence saying why there are none.

    Returns ``{"cartes": [{"titre", "alt", "svg"}…], "message": str}``.
    """
    files = geo_files(project_dir, millesime)
    if not files:
        return {"cartes": [], "message": (
            "Cartes non produites : aucun contour de commune (GeoJSON) dans data/raw/geo/. "
            "Déposez-y les contours des communes du département (propriété « code » = code "
            "INSEE) pour obtenir les cartes.")}
    communes = set(territoires["code_commune"])
    outlines = {c: r for c, r in load_outlines(files).items() if c in communes}
    if not outlines:
        return {"cartes": [], "message": "Cartes non produites : les contours de data/raw/geo/ "
                                         "ne contiennent aucune commune du projet."}
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & (indicateurs["type_siae"] == "ensemble")
                       & (indicateurs["public"] == "ensemble")]

    def group_of(level: str) -> dict[str, str] | None:
        if level == "commune":
            return None
        return dict(zip(territoires["code_commune"], territoires[LEVEL_COLUMNS[level]],
                        strict=True))

    maps = []
    for level, code, titre in MAPS:
        part = rows[(rows["niveau"] == level) & (rows["indicateur"] == code)]
        if part.empty or LEVEL_COLUMNS.get(level, "code_commune") not in territoires:
            continue
        values = _values(part["code"], part["valeur"], part["statut"])
        unite = BY_CODE[code].unite
        decimales = 0 if unite in ("personnes", "structures") else 1
        groups = group_of(level)
        noms = None if level == "commune" else \
            dict(zip(part["code"].astype(str), part["libelle"].astype(str), strict=True))
        maps.append(_map(outlines, values, titre, millesime, unite, decimales, groups,
                         inverse=code.startswith("taux_equipement"), noms=noms))
        if level == INDICE_MAP[0] and couverture is not None:
            maps += _indice_map(outlines, couverture, millesime, groups, noms)
    missing = len(communes) - len(outlines)
    message = f"{missing} commune(s) du projet sans contour ne figurent pas sur les cartes." \
        if missing else ""
    return {"cartes": maps, "message": message}


def _values(codes, valeurs, statuts) -> dict[str, tuple[float, str]]:
    return {c: (float(v), s) for c, v, s in
            zip(codes, valeurs.astype(float), statuts, strict=True)}


def _map(outlines: dict[str, Rings], values: dict[str, tuple[float, str]], titre: str,
         millesime: int, unite: str, decimales: int, group_of: dict[str, str] | None,
         bands: tuple[tuple[float, str], ...] | None = None, inverse: bool = False,
         noms: dict[str, str] | None = None) -> dict:
    """One map with its title, its text alternative and what its hatching means."""
    published = [v for v, s in values.values() if s == "publie" and not math.isnan(v)]
    scale = ("classes du jaune clair au rouge foncé, plus foncé pour un taux plus faible"
             if inverse else "classes du jaune clair au rouge foncé, plus foncé pour une "
             "valeur plus forte") if bands is None else \
        "cinq classes, du plus clair (très bonne couverture) au plus foncé (très faible)"
    covered = {group_of.get(c, "") for c in outlines} if group_of else set(outlines)
    statuts = {values.get(code, (math.nan, "nd"))[1] for code in covered}
    hachures = [text for key, text in (
        ("s", "croisillons : valeur couverte par le secret statistique"),
        ("nd", "traits obliques : donnée non disponible")) if key in statuts]
    alt = (f"Carte : {titre}, {millesime}. Valeurs de {nombre(min(published), decimales)} "
           f"à {nombre(max(published), decimales)} ({unite}) ; {scale}, "
           "hachures pour le secret statistique et les données non disponibles. "
           "Les valeurs sont dans les tableaux du rapport.") if published else \
        f"Carte : {titre}, {millesime} ; aucune valeur publiable."
    return {"titre": f"{titre}, {millesime}", "alt": alt,
            "hachures": " ; ".join(hachures),
            "svg": choropleth(outlines, values, unite, group_of, decimales, bands, inverse,
                              noms)}


def _indice_map(outlines: dict[str, Rings], couverture, millesime: int,
                group_of: dict[str, str] | None,
                noms: dict[str, str] | None = None) -> list[dict]:
    """The map of the indice de couverture of the DE ABC by EPCI, in its five bands."""
    level, need, titre = INDICE_MAP
    part = couverture[(couverture["diffusion"] == "publique") & (couverture["niveau"] == level)
                      & (couverture["besoin"] == need)]
    if part.empty:
        return []
    values = _values(part["code"], part["indice_couverture"], part["statut"])
    return [_map(outlines, values, titre, millesime, "indice de couverture", 2, group_of,
                 INDICE_BANDS, noms=noms)]
