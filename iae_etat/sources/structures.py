"""SIAE lists: locate each structure's INSEE commune from its postal code and commune name."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from iae_etat.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN

_ABBREVIATIONS = {"SAINT": "ST", "SAINTE": "STE"}


def normalise_name(name: object) -> str:
    """Commune name for matching: upper case, no accents, ``SAINT`` → ``ST``, single spaces."""
    text = unicodedata.normalize("NFKD", str(name or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = re.sub(r"\bCEDEX\b.*$", "", text)
    words = re.sub(r"[^A-Z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def commune_index(communes: pd.DataFrame, anciennes: pd.DataFrame) -> pd.DataFrame:
    """One row per (postal code, normalised name) → current commune code.

    Former and delegated communes are matched by their own name within the postal codes of the
    commune they now belong to.
    """
    current = communes[["code_commune", "nom_commune", "codes_postaux"]].rename(
        columns={"nom_commune": "nom"})
    former = anciennes[["code_commune", "nom_ancien"]].dropna(subset=["nom_ancien"]).merge(
        communes[["code_commune", "codes_postaux"]], on="code_commune")
    former = former.rename(columns={"nom_ancien": "nom"})
    index = pd.concat([current, former], ignore_index=True)
    index["cle_nom"] = index["nom"].map(normalise_name)
    index["code_postal"] = index["codes_postaux"].fillna("").str.split()
    index = index.explode("code_postal").dropna(subset=["code_postal"])
    return index[["code_postal", "cle_nom", "code_commune"]].drop_duplicates(ignore_index=True)


def match_communes(structures: pd.DataFrame, index: pd.DataFrame
                   ) -> tuple[pd.DataFrame, list[Probleme]]:
    """Fill ``code_commune``: name within the postal code, else the only commune of the code.

    Unmatched rows keep an empty code and are reported.
    """
    out = structures.copy()
    by_cp = {cp: group for cp, group in index.groupby("code_postal")}
    codes, problems = [], []
    for row in out.itertuples(index=False):
        candidates = by_cp.get(row.code_postal)
        code = None
        if candidates is not None:
            named = candidates.loc[candidates["cle_nom"] == normalise_name(row.libelle_commune),
                                   "code_commune"].unique()
            distinct = candidates["code_commune"].unique()
            if len(named) == 1:
                code = named[0]
            elif len(distinct) == 1:
                code = distinct[0]
        if code is None:
            problems.append(Probleme(
                fichier=getattr(row, FILE_COLUMN), cellule=f"ligne {getattr(row, LINE_COLUMN)}",
                champ="code_commune",
                valeur=f"{row.code_postal} {row.libelle_commune}",
                regle="structures.commune_introuvable", gravite=GRAVITE_AVERTISSEMENT,
                message=f"Commune introuvable pour « {row.code_postal} {row.libelle_commune} » "
                        f"({row.denomination}).",
                conseil="Vérifiez le code postal et le nom de commune de la structure."))
        codes.append(code)
    out["code_commune"] = pd.array(codes, dtype="string")
    return out, problems
