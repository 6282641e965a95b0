"""COG harmonisation: commune codes of any vintage → communes of the project's referential.

Sources use their own geography (CAF: January N+1, FRR: COG 2023, recensement: publication
year). A former commune merged into a commune nouvelle is mapped to it through the referential's
history (``communes_anciennes``) and its values are summed; a code the referential does not know
is reported.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN


def code_map(communes: pd.DataFrame, anciennes: pd.DataFrame) -> dict[str, str]:
    """Every known code (current or former) → current commune code."""
    mapping = dict(zip(anciennes["code_ancien"], anciennes["code_commune"], strict=True))
    mapping.update({c: c for c in communes["code_commune"]})
    return mapping


def recode(frame: pd.DataFrame, mapping: dict[str, str], departements: tuple[str, ...],
           source: str, column: str = "code_commune") -> tuple[pd.DataFrame, list[Probleme]]:
    """Map ``column`` to current codes; rows of unknown codes are dropped.

    An unknown code is reported when it looks like a commune of the project's départements
    (a national file holds many communes outside the scope, not worth a line each).
    """
    out = frame.copy()
    recoded = out[column].map(mapping)
    problems = []
    unknown = out[recoded.isna() & out[column].notna()]
    for row in unknown.itertuples(index=False):
        code = getattr(row, column)
        if not any(str(code).startswith(d) for d in departements):
            continue
        problems.append(Probleme(
            fichier=str(getattr(row, FILE_COLUMN, "")),
            cellule=f"ligne {getattr(row, LINE_COLUMN, '')}", champ=column, valeur=str(code),
            regle="cog.commune_inconnue", gravite=GRAVITE_AVERTISSEMENT,
            message=f"{source} : la commune {code} est inconnue du code officiel géographique "
                    "du projet (ni actuelle ni ancienne) ; la ligne est ignorée.",
            conseil="Vérifiez le code ou le millésime géographique du fichier."))
    out[column] = recoded
    return out.dropna(subset=[column]), problems


def harmonise_sum(frame: pd.DataFrame, mapping: dict[str, str], departements: tuple[str, ...],
                  source: str, values: list[str], keys: tuple[str, ...] = ()
                  ) -> tuple[pd.DataFrame, list[Probleme]]:
    """Recode communes and sum ``values`` of merged communes.

    The sum of a commune nouvelle is missing when one of its parts is missing (a masked part is
    never counted as zero).
    """
    recoded, problems = recode(frame, mapping, departements, source)
    group = ["code_commune", *keys]
    numbers = recoded[group + values].copy()
    for column in values:
        numbers[column] = numbers[column].astype(float)
    summed = numbers.groupby(group, sort=True)[values].sum(min_count=1)
    incomplete = numbers[values].isna().groupby([numbers[c] for c in group]).any()
    summed = summed.mask(incomplete.reindex(summed.index).fillna(False).astype(bool))
    return summed.reset_index(), problems
