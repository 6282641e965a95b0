"""Checks of the adapter declarations (``pipelines/*.yaml``): unknown keys refused with the
nearest known one suggested, and the ``format_long`` section of a long file."""

from __future__ import annotations

import difflib
from pathlib import Path

from iae_etat.common.errors import ConfigError

LONG_KEYS = ("territoire", "cumuls", "total", "arrondissements", "periode", "filtres", "mesures")


def check_long(path: Path, spec: dict, colonnes: dict) -> None:
    """The ``format_long`` section: known keys, and every column it names declared in
    ``colonnes``."""
    if not spec:
        raise ConfigError(f"{path} : le lecteur « long » demande une section « format_long ».")
    known(path, "format_long", spec, LONG_KEYS)
    for key in ("territoire", "mesures"):
        if key not in spec:
            raise ConfigError(f"{path} : format_long.{key} est obligatoire.")
    named = [spec["territoire"], *(spec.get("filtres") or {})]
    if spec.get("total"):
        named.append(spec["total"])
    if spec.get("periode"):
        known(path, "format_long.periode", spec["periode"], ("colonne", "valeurs"))
        named.append(spec["periode"]["colonne"])
    for target, measure in spec["mesures"].items():
        known(path, f"format_long.mesures.{target}", measure, ("valeur", "si"))
        named += [measure["valeur"], *(measure.get("si") or {})]
    for column in named:
        if column not in colonnes:
            raise ConfigError(f"{path} : format_long nomme « {column} », absente de "
                              "« colonnes ».")
    if spec.get("arrondissements") not in (None, "commune"):
        raise ConfigError(f"{path} : format_long.arrondissements : « commune » attendu.")


def known(path: Path, where: str, section: dict, keys: tuple[str, ...]) -> None:
    """Refuse an unknown key of ``section``, suggesting the nearest declared one."""
    unknown = sorted(set(section) - set(keys))
    if unknown:
        close = difflib.get_close_matches(unknown[0], keys, n=1, cutoff=0.5)
        hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
        raise ConfigError(f"{path} : clé inconnue « {unknown[0]} » dans {where}.{hint}")
