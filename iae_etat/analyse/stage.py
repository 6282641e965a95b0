"""The analyse stage: ``core_`` tables → ``out_`` tables under statistical secrecy."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pandas as pd

from iae_etat.analyse import calage
from iae_etat.analyse.attribution import hors_secret
from iae_etat.analyse.audit import Protection
from iae_etat.analyse.computed import COMPUTED
from iae_etat.analyse.couverture import couverture
from iae_etat.analyse.ecarts import ecarts
from iae_etat.analyse.evolution import (
    DICTIONARY_COLUMNS,
    REFERENCE_COLUMNS,
    evolution_parts,
    with_breaks,
)
from iae_etat.analyse.financement import SOMMES as SOMMES_FINANCEMENT
from iae_etat.analyse.financement import montant_rsa_annuel
from iae_etat.analyse.indicateurs import indicators
from iae_etat.analyse.plausibility import sanity_checks
from iae_etat.analyse.secret import ASP, REPONSES, apply_secret
from iae_etat.analyse.themes import couts_valorisation
from iae_etat.common import resources
from iae_etat.common.entries import Entries
from iae_etat.common.errors import DataError, Probleme
from iae_etat.common.indicators import CATALOGUE
from iae_etat.common.vocabulary import (
    AUDIT_FILE,
    CALAGE_GROUPS,
    EXIT_CATEGORIES,
    QUESTIONNAIRES,
    QUESTIONNAIRES_RESIDENCE,
)
from iae_etat.project.config import Projet
from iae_etat.project.method import methode, seuil_zone_blanche
from iae_etat.sources.adapters import load_adapter
from iae_etat.tables.catalogue import Catalogue, read_in_parts
from iae_etat.tables.files import write_text

DERIVED = {"taux_equipement_etp_de_abc": ("de_abc", "etp_conventionnes"),
           "taux_equipement_etp_brsa": ("foyers_rsa", "etp_conventionnes"),
           "taux_sortie_dynamique_asp": ("sorties_dynamiques_asp", "sorties_asp"),
           "taux_sortie_dynamique": ("sorties_dynamiques", "sorties"),
           "part_public_salaries": ("salaries_public", "salaries_annee"),
           "part_public_de_abc": ("de_public", "de_abc"),
           "ecart_representativite": ("salaries_public", "salaries_annee", "de_public",
                                      "de_abc"),
           "equivalent_brsa": ("financement_departement",),
           "part_autofinancement": ("chiffre_affaires", "financements_publics"),
           "dependance_aides_publiques": ("chiffre_affaires", "financements_publics"),
           "salaries_par_etp_encadrement": ("salaries_annee", "etp_encadrement_technique"),
           "couts_evites": ("sorties_durables", "sorties_dynamiques"),
           # a ratio of two hidden amounts would publish an equation between them
           "realisation_etp": ("etp_realises", "etp_conventionnes")}
# Additive relations between indicators of one cell (total → parts), for the secondary secrecy.
SOMMES = {**SOMMES_FINANCEMENT, "sorties_dynamiques": EXIT_CATEGORIES}
# The sources that hold the structures' own figures, for the rule of the contributing SIAE; a
# count of the structures themselves (their public list) is not one of them.
STRUCTURE_SOURCES = {"core_structures": REPONSES, "raw_questionnaires": REPONSES,
                     "core_asp": ASP}


def structure_indicators() -> dict[str, str]:
    """Indicators drawn from the structures' data → ``REPONSES`` or ``ASP`` (catalogue)."""
    out = {}
    for indicateur in CATALOGUE:
        kinds = {STRUCTURE_SOURCES[s] for s in indicateur.sources if s in STRUCTURE_SOURCES}
        if kinds and indicateur.unite != "structures":
            out[indicateur.code] = REPONSES if REPONSES in kinds else ASP
    return out


def write_audit(directory: Path, rapport: dict) -> None:
    """``audit_secret.json``: the audit's summary; raise ``DataError`` when it failed."""
    summary = dict(rapport.get("audit", {}))
    write_text(directory / AUDIT_FILE, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    if summary.get("reussi", True):
        return
    failures = rapport["echecs"]
    examples = "; ".join(f"{r.niveau} {r.code} {r.indicateur} {r.type_siae} {r.public} "
                         f"({r.raison})" for r in failures.head(5).itertuples())
    raise DataError(
        f"Secret statistique : l'audit par programmation linéaire retrouve {len(failures)} "
        f"case(s) secrète(s) à partir des tableaux publics (par exemple {examples}) ; les "
        "sorties publiques ne sont pas publiées.",
        conseil="Vérifiez [secret_statistique] (coordination, protection_effectifs, "
                "protection_montants) dans iae-etat.toml.")


def run_analyse(projet: Projet, millesime: int, catalogue: Catalogue) -> pd.DataFrame:
    """Compute and write ``out_indicateurs``, ``out_couverture``, ``out_ecarts``,
    ``out_evolution``, the calibration groups ``out_calage`` and the sanity checks
    ``out_controles``; returns the indicators.

    The summary of the secrecy audit is written beside them (``AUDIT_FILE``); when the audit
    cannot pass, nothing is published: ``DataError`` (exit 1) says which cells fail."""
    rapport: dict = {}
    territoires = catalogue.read("core_territoires")
    structures = catalogue.read("core_structures")
    besoins = catalogue.read("core_besoins") if catalogue.exists("core_besoins") \
        else pd.DataFrame(columns=["code_commune", "de_abc"])
    asp = catalogue.read_optional("core_asp")
    reponses = catalogue.read_optional(QUESTIONNAIRES)
    choix = methode(projet)
    residence = catalogue.read_optional(QUESTIONNAIRES_RESIDENCE) \
        if choix.attribution == "residence" else None
    groupes = calage.groupes(structures, territoires, asp)  # written for the method annex
    poids = calage.poids(structures, groupes, territoires) \
        if choix.non_reponse == "calage" else None
    table = indicators(territoires, structures, besoins, asp, reponses, residence, poids,
                       rsa_annuel=montant_rsa_annuel(projet),
                       couts=couts_valorisation(projet),
                       besoins_territoires=catalogue.read_optional("core_besoins_territoires"))
    effectifs = {i.code for i in CATALOGUE if i.effectif}
    seuil = projet.secret.seuil_effectifs
    primary = None
    if residence is not None:
        by_site = indicators(territoires, structures, besoins, None, reponses, None, poids,
                             levels=("departement",))
        primary = hors_secret(table, by_site, effectifs, seuil)
    montants = frozenset(i.code for i in CATALOGUE if i.montant)
    rules = projet.secret
    # the coordination of each zone of the secret, kept for the next build (one corrected
    # return coordinates its zone alone)
    memo = Entries(projet.cache_dir("secret", millesime), writable=True,
                   salt=resources.code_fingerprint())
    derived = DERIVED | {c.code: c.inputs for c in COMPUTED.values()}  # hidden with an input
    published = apply_secret(table, territoires, seuil, effectifs, derived, montants,
                             rules.seuil_dominance, SOMMES, primary,
                             structures=structure_indicators(), min_siae=rules.seuil_structures,
                             protection=Protection(rules.protection_effectifs,
                                                   rules.protection_montants),
                             coordination=rules.coordination, rapport=rapport, memo=memo)
    memo.prune()
    del table, primary  # a national table holds millions of rows: keep only the published one
    write_audit(catalogue.dir, rapport)
    # one table after another: writing the indicators while the others were computed saved
    # 5 s of a national analyse but added their peaks (1,6 Gio against 1,3)
    catalogue.write("out_indicateurs", published)
    catalogue.write("out_couverture", couverture(published, seuil_zone_blanche(projet)))
    catalogue.write("out_ecarts", ecarts(published, territoires))
    catalogue.write(CALAGE_GROUPS, groupes)
    checks = sanity_checks(published, f"data/processed/{millesime}/out_indicateurs.parquet")
    catalogue.write("out_controles", pd.DataFrame([p.as_row() for p in checks],
                                                  columns=list(Probleme.COLUMNS)))
    previous = {m: partial(read_in_parts, path, REFERENCE_COLUMNS, DICTIONARY_COLUMNS)
                for m, path in projet.built_before(millesime)}  # read in turn, when compared
    ruptures = [r for name in resources.names("pipelines", projet.dir, ".yaml")
                for r in load_adapter(name.removesuffix(".yaml"), projet.dir).ruptures]
    catalogue.write_parts("out_evolution", (with_breaks(part, ruptures, millesime)
                                            for part in evolution_parts(published, previous)))
    return published

