"""Bundled territorial referential (COG 2026): communes, EPCI, arrondissements, départements,
régions, derived from ``@etalab/decoupage-administratif`` by ``scripts/build_referentiel.py``.

Every code column is text, so leading zeros are never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

import pandas as pd

from iae_etat.territoires.codes import normalise_commune_series, normalise_departement

COG_MILLESIME = 2026

TERRITOIRE_COLUMNS = [
    "code_commune", "nom_commune", "code_epci", "nom_epci", "code_arrondissement",
    "nom_arrondissement", "code_departement", "nom_departement", "code_region", "nom_region",
    "population", "codes_postaux",
]
ZONE_EMPLOI_COLUMNS = ["code_commune", "code_zone_emploi", "nom_zone_emploi"]
CLPE_COLUMNS = ["code_commune", "code_clpe", "nom_clpe"]


@cache
def _load(name: str) -> pd.DataFrame:
    """Read one referential table; every column as text, ``population`` as nullable integer."""
    source = resources.files("iae_etat") / "data" / "referentiel" / name
    with source.open("rb") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""],
                            compression="gzip" if name.endswith(".gz") else None)
    if "population" in frame.columns:
        frame["population"] = frame["population"].astype("Int64")
    return frame


def communes() -> pd.DataFrame:
    """Current communes of metropolitan France and the DROM, with their parent codes."""
    return _load("communes.csv.gz").copy()


def communes_anciennes() -> pd.DataFrame:
    """Former, delegated and associated communes and municipal arrondissements."""
    return _load("communes_anciennes.csv.gz").copy()


def epci() -> pd.DataFrame:
    """EPCI à fiscalité propre: SIREN, name and nature (CC, CA, CU, METRO, MET69)."""
    return _load("epci.csv").copy()


def arrondissements() -> pd.DataFrame:
    """Arrondissements with their département."""
    return _load("arrondissements.csv").copy()


def departements() -> pd.DataFrame:
    """Départements with their région."""
    return _load("departements.csv").copy()


def regions() -> pd.DataFrame:
    """Régions."""
    return _load("regions.csv").copy()


def territoires(departements: Iterable[str]) -> pd.DataFrame:
    """Communes of the given départements with the labels of every level, sorted by code.

    Raises ``ValueError`` when a département is not in the referential.
    """
    if isinstance(departements, str):
        departements = [departements]
    connus = set(_load("departements.csv")["code_departement"])
    retenus = []
    for code in departements:
        normalise = normalise_departement(code)
        if normalise not in connus:
            raise ValueError(
                f"Département inconnu du référentiel COG {COG_MILLESIME} : {code!r}")
        retenus.append(normalise)
    frame = _load("communes.csv.gz")
    frame = frame[frame["code_departement"].isin(retenus)]
    frame = (
        frame.merge(_load("epci.csv")[["code_epci", "nom_epci"]], on="code_epci", how="left")
        .merge(_load("arrondissements.csv")[["code_arrondissement", "nom_arrondissement"]],
               on="code_arrondissement", how="left")
        .merge(_load("departements.csv")[["code_departement", "nom_departement"]],
               on="code_departement", how="left")
        .merge(_load("regions.csv"), on="code_region", how="left")
    )
    return frame[TERRITOIRE_COLUMNS].sort_values("code_commune", ignore_index=True)


def with_levels(communes_df: pd.DataFrame, zones_emploi: pd.DataFrame | None = None,
                clpe: pd.DataFrame | None = None) -> pd.DataFrame:
    """Left-join the zone d'emploi and CLPE of each commune, when those tables are given.

    ``zones_emploi`` holds ``code_commune, code_zone_emploi, nom_zone_emploi``; ``clpe`` holds
    ``code_commune, code_clpe, nom_clpe``; each must list a commune at most once.
    """
    result = communes_df.copy()
    for table, columns, libelle in ((zones_emploi, ZONE_EMPLOI_COLUMNS, "zones d'emploi"),
                                    (clpe, CLPE_COLUMNS, "CLPE")):
        if table is not None:
            result = result.merge(_level_table(table, columns, libelle), on="code_commune",
                                  how="left")
    return result


def _level_table(table: pd.DataFrame, columns: list[str], libelle: str) -> pd.DataFrame:
    """Check and normalise a commune-to-level table before it is joined."""
    manquantes = [column for column in columns if column not in table.columns]
    if manquantes:
        raise ValueError(f"Table des {libelle} : colonnes manquantes {', '.join(manquantes)}")
    level = table[columns].copy()
    level["code_commune"] = normalise_commune_series(level["code_commune"])
    invalides = table.loc[level["code_commune"].isna().to_numpy(), "code_commune"]
    if not invalides.empty:
        raise ValueError(f"Table des {libelle} : code commune invalide {invalides.iloc[0]!r}")
    doublons = level.loc[level["code_commune"].duplicated(), "code_commune"]
    if not doublons.empty:
        raise ValueError(
            f"Table des {libelle} : commune présente plusieurs fois ({doublons.iloc[0]})")
    return level
