"""The indicator catalogue, declared in ``schemas/indicateurs.yaml`` and loaded once.

Each entry names an indicator, its French label, definition, formula, unit, sources and the
secrecy rules that apply to it; the analysis computes the catalogue's indicators, the report's
method annex, the dashboard and the annexe 4 print it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from iae_etat.common import resources, yamlio
from iae_etat.common.vocabulary import LEVELS, SUPRA_COMMUNAL

CATALOGUE_FILE = "indicateurs.yaml"
_LEVEL_SETS = {"supra_communal": SUPRA_COMMUNAL}


@dataclass(frozen=True)
class Indicateur:
    """One indicator of the catalogue."""

    code: str
    libelle: str
    definition: str
    formule: str
    unite: str
    sources: tuple[str, ...]
    par_type: bool = False
    effectif: bool = False  # a count of people: primary secrecy applies
    par_public: bool = False
    montant: bool = False  # a magnitude of the SIAE (euros, ETP): the dominance rule applies
    niveaux: tuple[str, ...] = LEVELS  # the levels where it makes sense, when their table exists


def load_catalogue(text: str) -> tuple[Indicateur, ...]:
    """The indicators declared in ``text`` (the YAML of ``schemas/indicateurs.yaml``)."""
    known = {f.name for f in fields(Indicateur)}
    entries = []
    for entry in yamlio.safe_load(text)["indicateurs"]:
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"{CATALOGUE_FILE} : clé inconnue {sorted(unknown)} "
                             f"pour l'indicateur {entry.get('code')}")
        niveaux = entry.get("niveaux", LEVELS)
        niveaux = _LEVEL_SETS.get(niveaux, niveaux) if isinstance(niveaux, str) else niveaux
        entries.append(Indicateur(**{**entry, "sources": tuple(entry["sources"]),
                                     "niveaux": tuple(niveaux)}))
    return tuple(entries)


CATALOGUE = load_catalogue(resources.locate("schemas", CATALOGUE_FILE, None)
                           .read_text(encoding="utf-8"))
BY_CODE = {i.code: i for i in CATALOGUE}
# Sources of the indicators drawn from the questionnaires of the SIAE that answered.
REPONSES = ("raw_questionnaires", "core_structures")
# Needs summed per territory, and the coverage rate built on each.
NEEDS = {"de_abc": "taux_equipement_etp_de_abc", "foyers_rsa": "taux_equipement_etp_brsa"}
