"""SIAE lists: locate each structure's INSEE commune from its postal code and commune name."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN

_ABBREVIATIONS = {"SAINT": "ST", "SAINTE": "STE"}


def normalise_name(name: object) -> str:
    """Commune name for matching: upper case, no accents, ``SAINT`` → ``ST``, single spaces."""
    text = str(name or "").replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae") \
        .replace("Æ", "AE")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = re.sub(r"\bCEDEX\b.*$", "", text)
    words = re.sub(r"[^A-Z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def commune_index(communes: pd.DataFrame, anciennes: pd.DataFrame,
                  renamed: dict[str, list[str]] | None = None,
                  structures: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (postal code, normalised name) → current commune code.

    Former and delegated communes are matched by their own name within the postal codes of the
    commune they now belong to, and so are the former names of renamed communes (``renamed``:
    code → names, from the configuration). With ``structures``, only the postal codes and
    départements of that list are indexed: all that ``match_communes`` looks up for it.
    """
    current = communes[["code_commune", "nom_commune", "codes_postaux", "code_departement"]] \
        .rename(columns={"nom_commune": "nom"})
    former = anciennes[["code_commune", "nom_ancien"]].dropna(subset=["nom_ancien"])
    if renamed:
        former = pd.concat([former, pd.DataFrame(
            [(str(code), name) for code, names in renamed.items() for name in names],
            columns=["code_commune", "nom_ancien"])], ignore_index=True)
    former = former.merge(communes[["code_commune", "codes_postaux", "code_departement"]],
                          on="code_commune")
    former = former.rename(columns={"nom_ancien": "nom"})
    index = pd.concat([current, former], ignore_index=True)
    index["code_postal"] = index["codes_postaux"].fillna("").str.split()
    index = index.explode("code_postal").dropna(subset=["code_postal"])
    if structures is not None:
        index = index[index["code_postal"].isin(set(structures["code_postal"].dropna()))
                      | index["code_departement"].isin(_departements(structures))]
    index = index.assign(cle_nom=index["nom"].map(normalise_name))
    return index[["code_postal", "cle_nom", "code_commune", "code_departement"]] \
        .drop_duplicates(ignore_index=True)


class _Names:
    """The communes of a postal code or a département: normalised name → codes."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.names: dict[str, list[str]] = {}
        for name, code in zip(rows["cle_nom"], rows["code_commune"], strict=True):
            codes = self.names.setdefault(name, [])
            if code not in codes:
                codes.append(code)
        self.codes = {c for codes in self.names.values() for c in codes}

    def by_name(self, key: str) -> str | None:
        """The one commune named ``key``, else the one whose name extends it or is extended
        by it (« HERBLAY » for Herblay-sur-Seine), else None."""
        named = self.names.get(key, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1 or not key:
            return None
        close = {c for name, codes in self.names.items()
                 if name.startswith(key + " ") or key.startswith(name + " ") for c in codes}
        return close.pop() if len(close) == 1 else None


def _departement_of(row) -> str | None:
    code = getattr(row, "code_departement", None)
    return None if code is None or pd.isna(code) else str(code)


def _departements(structures: pd.DataFrame) -> set[str]:
    """The départements the list gives (a column some lists lack)."""
    return {_departement_of(row) for row in structures.itertuples(index=False)} - {None}


def match_communes(structures: pd.DataFrame, index: pd.DataFrame
                   ) -> tuple[pd.DataFrame, list[Probleme]]:
    """Fill ``code_commune``: the name within the postal code (exactly, then as a prefix), else
    the only commune of the postal code, else the name within the département (CEDEX and
    changed postal codes).

    Unmatched rows keep an empty code and are reported.
    """
    out = structures.copy()
    # only the postal codes and départements of the list (the index is the whole country)
    postal = index[index["code_postal"].isin(set(out["code_postal"].dropna()))]
    by_cp = {cp: _Names(group) for cp, group in postal.groupby("code_postal")}
    local = index[index["code_departement"].isin(_departements(out))]
    by_dep = {dep: _Names(group) for dep, group in local.groupby("code_departement")}
    codes, problems = [], []
    for row in out.itertuples(index=False):
        key = normalise_name(row.libelle_commune)
        candidates = by_cp.get(row.code_postal)
        code = None
        if candidates is not None:
            code = candidates.by_name(key)
            if code is None and len(candidates.codes) == 1:
                code = next(iter(candidates.codes))
        departement = _departement_of(row)
        if code is None and departement in by_dep:
            code = by_dep[departement].by_name(key)
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
