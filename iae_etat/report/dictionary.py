"""The « dictionnaire des données » annex, generated from the contracts of ``schemas/`` (pure
apart from reading the contracts)."""

from __future__ import annotations

from pathlib import Path

from iae_etat.tables.contracts import all_contracts

TYPE_LABELS = {"string": "texte", "integer": "entier", "number": "nombre",
               "boolean": "oui / non"}
LAYER_ORDER = ("out_", "core_", "raw_")


def _constraints(constraints: dict) -> str:
    parts = []
    if constraints.get("required"):
        parts.append("obligatoire")
    if constraints.get("unique"):
        parts.append("unique")
    if "minimum" in constraints:
        parts.append(f"≥ {constraints['minimum']}")
    if "maximum" in constraints:
        parts.append(f"≤ {constraints['maximum']}")
    if "enum" in constraints:
        parts.append("valeurs : " + ", ".join(str(v) for v in constraints["enum"]))
    if "pattern" in constraints:
        parts.append(f"motif {constraints['pattern']}")
    return " ; ".join(parts)


def data_dictionary(project_dir: Path | None) -> list[dict]:
    """Every table (published ``out_`` first, then ``core_`` and ``raw_``) with its fields."""
    def order(contract) -> tuple:
        layer = next((i for i, p in enumerate(LAYER_ORDER) if contract.name.startswith(p)),
                     len(LAYER_ORDER))
        return layer, contract.name

    tables = []
    for contract in sorted(all_contracts(project_dir), key=order):
        tables.append({
            "nom": contract.name, "titre": contract.title,
            "description": contract.description, "version": contract.version,
            "cle": ", ".join(contract.primary_key),
            "champs": [{"nom": f.name, "titre": f.title, "description": f.description,
                        "type": TYPE_LABELS.get(f.type, f.type), "unite": f.unit,
                        "contraintes": _constraints(f.constraints)} for f in contract.fields]})
    return tables
