"""Derive the bundled territorial referential (COG 2026) from @etalab/decoupage-administratif.

Fetches the npm package at a pinned version with ``npm pack``, reads its JSON tables straight
from the tarball and writes compact, byte-deterministic CSV tables into
``iae_etat/data/referentiel/``. Re-running it yields identical files.

Usage: ``python scripts/build_referentiel.py``
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
INTEGRITY = (
    "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/"
    "7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
)
LICENCE_URL = "https://github.com/etalab/decoupage-administratif"
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "iae_etat" / "data" / "referentiel"

# Départements kept: metropolitan France and the five DROM (the package's "com" zone holds the
# overseas collectivités 975, 977, 978, 984, 986-989, which are out of scope).
ZONES_RETENUES = {"metro", "drom"}

TYPES_ANCIENS = {
    "commune-deleguee": "deleguee",
    "commune-associee": "associee",
    "arrondissement-municipal": "arrondissement_municipal",
}
ANCIEN_CODE = "ancien_code"

COLUMNS = {
    "communes.csv.gz": ["code_commune", "nom_commune", "code_epci", "code_arrondissement",
                        "code_departement", "code_region", "population", "codes_postaux"],
    "communes_anciennes.csv.gz": ["code_ancien", "nom_ancien", "type", "code_commune",
                                  "codes_postaux"],
    "epci.csv": ["code_epci", "nom_epci", "nature_epci"],
    "arrondissements.csv": ["code_arrondissement", "nom_arrondissement", "code_departement"],
    "departements.csv": ["code_departement", "nom_departement", "code_region"],
    "regions.csv": ["code_region", "nom_region"],
}


def fetch_tarball(workdir: Path) -> Path:
    """Download the pinned package tarball with ``npm pack`` and check its integrity."""
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=workdir,
                   check=True, stdout=subprocess.DEVNULL)
    (tarball,) = workdir.glob("*.tgz")
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != INTEGRITY:
        raise SystemExit(f"Empreinte inattendue pour {tarball.name} : sha512-{digest}")
    return tarball


def read_package(tarball: Path) -> tuple[dict[str, list[dict]], str]:
    """The package's JSON tables and licence text, read without extracting to disk."""
    with tarfile.open(tarball, "r:gz") as archive:
        data = {name: json.load(archive.extractfile(f"package/data/{name}.json"))
                for name in ("communes", "epci", "departements", "regions", "arrondissements")}
        licence = archive.extractfile("package/LICENSE").read().decode("utf-8")
    return data, licence


def codes_postaux(record: dict) -> str:
    """Postal codes of a record, sorted and space-separated."""
    return " ".join(sorted(set(record.get("codesPostaux", []))))


def build_tables(data: dict[str, list[dict]]) -> dict[str, list[list[str]]]:
    """Every output table as sorted rows of text cells, keyed by file name."""
    departements = [d for d in data["departements"] if d["zone"] in ZONES_RETENUES]
    codes_departements = {d["code"] for d in departements}
    codes_regions = {d["region"] for d in departements}

    epci_of = {m["code"]: e["code"] for e in data["epci"] for m in e["membres"]}
    actuelles = [c for c in data["communes"]
                 if c["type"] == "commune-actuelle" and c["departement"] in codes_departements]
    communes = [[c["code"], c["nom"], epci_of.get(c["code"], ""), c["arrondissement"],
                 c["departement"], c["region"], str(c.get("population", "")), codes_postaux(c)]
                for c in actuelles]
    codes_communes = {c["code"] for c in actuelles}

    anciennes: dict[tuple[str, str], list[str]] = {}
    for c in data["communes"]:
        if c["type"] in TYPES_ANCIENS:
            parent = c.get("chefLieu") or c["commune"]
            anciennes[c["code"], parent] = [c["code"], c["nom"], TYPES_ANCIENS[c["type"]],
                                            parent, codes_postaux(c)]
    noms_anciens = {code: row[1] for (code, _), row in anciennes.items()}
    for c in actuelles:
        for code in c.get("anciensCodes", []):
            anciennes.setdefault((code, c["code"]),
                                 [code, noms_anciens.get(code, ""), ANCIEN_CODE, c["code"], ""])
    anciennes_retenues = [row for row in anciennes.values() if row[3] in codes_communes]

    return {
        "communes.csv.gz": sorted(communes),
        "communes_anciennes.csv.gz": sorted(anciennes_retenues),
        "epci.csv": sorted([e["code"], e["nom"], e["type"]] for e in data["epci"]),
        "arrondissements.csv": sorted([a["code"], a["nom"], a["departement"]]
                                      for a in data["arrondissements"]
                                      if a["departement"] in codes_departements),
        "departements.csv": sorted([d["code"], d["nom"], d["region"]] for d in departements),
        "regions.csv": sorted([r["code"], r["nom"]] for r in data["regions"]
                              if r["code"] in codes_regions),
    }


def to_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """UTF-8 CSV bytes with ``\\n`` line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def licence_text(licence: str) -> str:
    """The package's licence preceded by a three-line provenance header."""
    return (
        f"Licence du paquet npm {PACKAGE}, version {VERSION}\n"
        f"({LICENCE_URL}), copiée sans modification depuis son fichier LICENSE.\n"
        "Les tables de ce répertoire en sont dérivées par scripts/build_referentiel.py.\n"
        "\n" + licence
    )


def source_text(tables: dict[str, list[list[str]]]) -> str:
    """The SOURCE.md describing the derivation."""
    lignes = "\n".join(f"| `{name}` | {len(rows)} |" for name, rows in tables.items())
    return f"""# Référentiel territorial (COG 2026)

- Source : paquet npm `{PACKAGE}`, version **{VERSION}**
  (Code officiel géographique 2026), <{LICENCE_URL}>.
- Licence : MIT, texte dans `LICENCE-decoupage-administratif.txt`.
- Périmètre : communes actuelles de France métropolitaine et des DROM (971 à 974, 976) ; les
  collectivités d'outre-mer (975, 977, 978, 984, 986 à 989) sont écartées.
- Valeurs vides : `code_epci` pour les communes sans EPCI (îles mono-communales),
  `code_arrondissement` à Mayotte (pas d'arrondissement).
- La date de dérivation n'est pas consignée : les fichiers sont identiques octet pour octet à
  chaque régénération.
- Régénération (nécessite `npm` et l'accès au registre npm) :
  `python scripts/build_referentiel.py`

| Fichier | Lignes |
| --- | ---: |
{lignes}
"""


def write_outputs(tables: dict[str, list[list[str]]], licence: str) -> None:
    """Write every table, the licence and SOURCE.md into ``OUTPUT_DIR``."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        payload = to_csv(COLUMNS[name], rows)
        if name.endswith(".gz"):
            payload = gzip.compress(payload, compresslevel=9, mtime=0)
        (OUTPUT_DIR / name).write_bytes(payload)
    (OUTPUT_DIR / "LICENCE-decoupage-administratif.txt").write_bytes(
        licence_text(licence).encode("utf-8"))
    (OUTPUT_DIR / "SOURCE.md").write_bytes(source_text(tables).encode("utf-8"))


def main() -> int:
    """Fetch the package, derive the tables and write them."""
    with tempfile.TemporaryDirectory() as workdir:
        data, licence = read_package(fetch_tarball(Path(workdir)))
    tables = build_tables(data)
    write_outputs(tables, licence)
    for name, rows in tables.items():
        print(f"{name}: {len(rows)} lignes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
