"""Ingest of the administrative and public sources (issue 4), called by ``iae_etat.sources.stage``.

Territory levels (zones d'emploi, CLPE) and the ASP figures per structure (FluxIAE, annual bilan)
with their reconciliation against the questionnaires; the needs are read by the loop of
``ingestion_besoins``.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.project.config import Projet
from iae_etat.sources import adapters, asp, cog, reconciliation
from iae_etat.sources.reading import read_adapter, read_group, relative, report_missing
from iae_etat.tables.catalogue import Catalogue
from iae_etat.territoires import referentiel

# What the report lacks without a source read here (the needs sources declare theirs in
# ingestion_besoins.NEEDS_SOURCES).
EFFECTS = {
    "clpe": "pas de niveau CLPE (comités locaux pour l'emploi)",
    "asp": "pas de chiffres de l'ASP : ETP, publics et sorties viennent des seuls questionnaires",
}
ASP_VIEWS = ["asp_structures", "asp_annexes_financieres", "asp_etats_mensuels", "asp_salaries",
             "asp_contrats", "asp_durees_inscription", "asp_motifs_sortie",
             "asp_categories_sortie", "asp_montants", "asp_bilan"]
LINE = adapters.LINE_COLUMN


@cache
def harmonised_codes() -> dict[str, str]:
    """Known commune codes → current code (shared, never modified)."""
    return cog.code_map(referentiel.communes(), referentiel.communes_anciennes())


def territoires_with_levels(projet: Projet, millesime: int, result,
                            territoires: pd.DataFrame) -> pd.DataFrame:
    """The project's communes with their zone d'emploi and CLPE when those tables are given."""
    mapping = harmonised_codes()
    levels = {}
    for source, name, columns in (("insee", "insee_zones_emploi", referentiel.ZONE_EMPLOI_COLUMNS),
                                  ("clpe", "clpe", referentiel.CLPE_COLUMNS)):
        frame, adapter, found = read_adapter(projet, millesime, result, name)
        if not found and source == "clpe":
            report_missing(result, projet, source, millesime, EFFECTS[source])
        if frame is None:
            continue
        frame, problems = cog.recode(frame.dropna(subset=["code_commune"]), mapping,
                                     projet.departements, adapter.titre)
        result.problemes.extend(problems)
        frame = frame.sort_values(["code_commune", LINE]).drop_duplicates("code_commune")
        table = frame[columns]
        missing = sorted(set(territoires["code_commune"]) - set(table["code_commune"]))
        for code in missing:
            result.problemes.append(Probleme(
                fichier=", ".join(sorted(frame[adapters.FILE_COLUMN].unique())),
                champ="code_commune", valeur=code, regle=f"{name}.commune_absente",
                gravite=GRAVITE_AVERTISSEMENT,
                message=f"{adapter.titre} : la commune {code} du projet n'a pas de "
                        f"territoire ; elle n'est comptée dans aucun territoire de ce niveau."))
        levels[name] = table
    out = referentiel.with_levels(territoires, levels.get("insee_zones_emploi"),
                                  levels.get("clpe"))
    for column in [*referentiel.ZONE_EMPLOI_COLUMNS, *referentiel.CLPE_COLUMNS]:
        if column not in out.columns:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def structures_emplois(projet: Projet, millesime: int, result) -> pd.DataFrame | None:
    """SIAE of the emplois de l'inclusion API files (non-SIAE kinds left out)."""
    frame, _, _ = read_adapter(projet, millesime, result, "structures_emplois")
    if frame is None:
        return None
    frame["type_siae"] = frame["type_siae"].str.upper()
    return frame[frame["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])
                 & frame["siret"].notna()].reset_index(drop=True)


def _rules(projet: Projet) -> dict:
    load = lambda name: adapters.load_adapter(name, projet.dir).options  # noqa: E731
    return {"etats_retenus": load("asp_annexes_financieres").get(
                "etats_retenus", ["VALIDE", "PROVISOIRE", "CLOTURE"]),
            "parcours_minimum": load("asp_etats_mensuels").get("parcours_minimum", {}),
            "categories": load("asp_categories_sortie").get("categories", {}),
            "valeurs_femme": load("asp_salaries").get("valeurs_femme", ["MME"]),
            "valeurs_vrai": load("asp_salaries").get("valeurs_vrai", ["true"]),
            "valeurs_rsa": load("asp_contrats").get("valeurs_rsa", ["OUI-M", "OUI-NM"]),
            "libelles_deld": load("asp_durees_inscription").get("libelles_deld", []),
            "libelles_detld": load("asp_durees_inscription").get("libelles_detld", [])}


def read_asp(projet: Projet, millesime: int, result) -> dict[str, pd.DataFrame | None]:
    """Every view of the ASP files of ``millesime`` (FluxIAE and bilan); the monthly view is
    a stream read chunk by chunk by ``ingest_fluxiae`` (national extracts)."""
    return read_group(projet, millesime, result, "asp", ASP_VIEWS, EFFECTS["asp"],
                      streamed=("asp_etats_mensuels",))


def ingest_fluxiae(projet: Projet, millesime: int, catalogue: Catalogue, result,
                   territoires: pd.DataFrame, reponses: pd.DataFrame | None,
                   frames: dict[str, pd.DataFrame | None]) -> pd.DataFrame | None:
    """Write ``core_asp`` (FluxIAE) and reconcile it with the questionnaires; returns it (None
    without a complete extract)."""
    scope = set(territoires["code_commune"])
    needed = ("asp_structures", "asp_annexes_financieres", "asp_etats_mensuels")
    monthly = frames["asp_etats_mensuels"]  # read chunk by chunk (national extracts)
    if all(frames[n] is not None for n in needed):
        figures, problems = asp.indicators(
            frames["asp_structures"], frames["asp_annexes_financieres"], monthly,
            frames["asp_salaries"], frames["asp_contrats"],
            frames["asp_motifs_sortie"], frames["asp_categories_sortie"],
            frames["asp_montants"], millesime, _rules(projet), frames["asp_durees_inscription"])
    elif monthly is not None:
        monthly.drain()  # its problems still recorded
    if monthly is not None:
        monthly.settle(result.problemes)
        if monthly.failed or not monthly.rows:  # as if there were no monthly view
            frames["asp_etats_mensuels"] = None
    if all(frames[n] is not None for n in needed):
        result.problemes.extend(problems)
        mapping = harmonised_codes()  # a structure of a merged commune belongs to the new one
        figures["code_commune"] = figures["code_commune"].map(lambda c: mapping.get(c, c))
        figures = figures[figures["code_commune"].isin(scope)
                          & figures["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])]
        catalogue.write("core_asp", figures)
        if reponses is not None:
            result.problemes.extend(reconciliation.reconcile(
                figures, reponses, "l'ASP (FluxIAE)"))
        return figures
    if any(frames[n] is not None for n in needed):
        absent = [n for n in needed if frames[n] is None]
        result.problemes.append(Probleme(
            fichier=relative(projet, projet.raw_dir("asp", millesime)),
            regle="asp.vues_incompletes", gravite=GRAVITE_AVERTISSEMENT,
            message="Export FluxIAE incomplet : il manque "
                    + ", ".join(adapters.load_adapter(n, projet.dir).titre for n in absent)
                    + " ; les ETP, publics et sorties de l'ASP ne sont pas calculés."))
    return None


def ingest_bilan(catalogue: Catalogue, result, reponses: pd.DataFrame | None,
                 frames: dict[str, pd.DataFrame | None], millesime: int) -> None:
    """Write ``core_asp_bilan`` for the structures of ``core_structures``; reconcile it with
    the questionnaires when FluxIAE, the more detailed source, is absent."""
    if frames["asp_bilan"] is not None:
        figures = [c for c in frames["asp_bilan"].columns
                   if c not in ("annee", "type_siae", "numero_af", "siret", "denomination",
                                adapters.LINE_COLUMN, adapters.FILE_COLUMN)]
        bilan, problems = asp.bilan_by_structure(frames["asp_bilan"].dropna(subset=["siret"]),
                                                 millesime)
        result.problemes.extend(problems)
        bilan = bilan[bilan["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])]
        # the bilan has no commune: the project's structures are those of core_structures
        bilan = bilan[bilan["siret"].isin(set(catalogue.read("core_structures")["siret"]))]
        catalogue.write("core_asp_bilan", bilan[["siret", "type_siae", "denomination",
                                                 *figures]])
        if reponses is not None and not catalogue.exists("core_asp"):
            result.problemes.extend(reconciliation.reconcile(
                bilan, reponses, "le bilan annuel de l'ASP"))
