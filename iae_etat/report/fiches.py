"""Fiches territoriales: one printable page per EPCI, its figures beside its département's (pure).

Each fiche holds the key figures of the EPCI and of its département, its coverage of the
demandeurs d'emploi A, B, C, its structures by type of SIAE, its publics (share among the
salariés in insertion and among the demandeurs d'emploi) and its gaps (``out_ecarts``). The
same rows feed the fiche sheet of the dashboard.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE, PUBLIC_LABELS, TYPES_SIAE
from iae_etat.report.tableau_de_bord_cellules import french_key
from iae_etat.tables.formats import cellule, nombre

FIGURES = ("nb_siae", "etp_conventionnes", "salaries_annee", "de_abc",
           "taux_equipement_etp_de_abc", "foyers_rsa", "taux_reponse")
PUBLIC_COLUMNS = ("part_public_salaries", "part_public_de_abc", "ecart_representativite")
NIVEAU = "epci"


def _cells(rows: pd.DataFrame) -> dict[str, dict[tuple[str, str, str], str]]:
    """Territory code → (type_siae, public, indicateur) → formatted cell, in one pass over
    ``rows`` (a later row of the same cell replaces an earlier one)."""
    out: dict[str, dict[tuple[str, str, str], str]] = {}
    for c, t, p, i, v, s, u in zip(rows["code"], rows["type_siae"], rows["public"],
                                   rows["indicateur"], rows["valeur"], rows["statut"],
                                   rows["unite"], strict=True):
        out.setdefault(c, {})[(str(t), str(p), str(i))] = cellule(v, s, u)
    return out


def _gaps(ecarts: pd.DataFrame) -> dict[str, list[dict]]:
    """EPCI code → its published positive gaps, in the order of ``ecarts``."""
    out: dict[str, list[dict]] = {}
    rows = ecarts[(ecarts["diffusion"] == "publique") & (ecarts["niveau"] == NIVEAU)
                  & (ecarts["statut"] == "publie")]
    for code, ecart, mesure, public, besoin, unite in zip(
            rows["code"].astype(str), rows["ecart"], rows["libelle_mesure"],
            rows["libelle_public"], rows["libelle_besoin"], rows["unite"], strict=True):
        if pd.notna(ecart) and ecart > 0:
            out.setdefault(code, []).append({"mesure": mesure, "public": public,
                                             "besoin": besoin,
                                             "ecart": f"{nombre(ecart, 1)} {unite}"})
    return out


def fiches(indicateurs: pd.DataFrame, couverture: pd.DataFrame, ecarts: pd.DataFrame,
           departement_of: dict[str, str]) -> list[dict]:
    """A fiche per EPCI of the published rows; ``departement_of`` maps an EPCI code to the code
    of the département it is compared with. Each table is read in one pass: a national
    project has some 1 250 EPCI, and a pandas call per EPCI cost seconds."""
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & indicateurs["niveau"].isin([NIVEAU, "departement"])
                       & indicateurs["indicateur"].isin([*FIGURES, *PUBLIC_COLUMNS])]
    rows = rows.assign(code=rows["code"].astype(str))  # the EPCI and départements only
    of_epci = (rows["niveau"] == NIVEAU).to_numpy(dtype=bool)
    epci = _cells(rows[of_epci])
    deps = _cells(rows[~of_epci])
    libelles: dict[str, str] = {}
    for code, libelle in zip(rows.loc[of_epci, "code"], rows.loc[of_epci, "libelle"],
                             strict=True):
        libelles.setdefault(code, str(libelle))
    cover = couverture[(couverture["diffusion"] == "publique")
                       & (couverture["niveau"] == NIVEAU) & (couverture["besoin"] == "de_abc")]
    cover = {str(r.code): r for r in cover.itertuples(index=False)}
    gaps = _gaps(ecarts)
    out = []
    for code in sorted(epci, key=lambda c: (french_key(libelles[c]), c)):
        own = epci[code]
        dep_code = departement_of.get(code, "")
        dep = deps.get(dep_code, {})
        chiffres = [{"code": i, "libelle": BY_CODE[i].libelle,
                     "territoire": own.get((ENSEMBLE, ENSEMBLE, i), "nd"),
                     "departement": dep.get((ENSEMBLE, ENSEMBLE, i), "nd")}
                    for i in FIGURES if (ENSEMBLE, ENSEMBLE, i) in own]
        structures = [{"type": kind, "nombre": own.get((kind, ENSEMBLE, "nb_siae"), "0"),
                       "etp": own.get((kind, ENSEMBLE, "etp_conventionnes"), "—")}
                      for kind in TYPES_SIAE]
        publics = [{"libelle": label, "cellules": [own.get((ENSEMBLE, public, i), "—")
                                                   for i in PUBLIC_COLUMNS]}
                   for public, label in PUBLIC_LABELS.items()
                   if any((ENSEMBLE, public, i) in own for i in PUBLIC_COLUMNS)]
        row = cover.get(code)
        couverture_text = "non disponible"
        if row is not None and row.statut == "publie" and pd.notna(row.indice_couverture):
            couverture_text = f"{nombre(row.indice_couverture, 2)} ({row.couverture})"
        out.append({"code": code, "libelle": libelles[code], "departement": dep_code,
                    "chiffres": chiffres, "structures": structures, "publics": publics,
                    "couverture": couverture_text, "ecarts": gaps.get(code, [])})
    return out


def departement_of(niveaux: pd.DataFrame) -> dict[str, str]:
    """EPCI code → the département holding most of its communes (ties: the smallest code)."""
    if niveaux is None or "code_epci" not in niveaux or "code_departement" not in niveaux:
        return {}
    pairs = niveaux[["code_epci", "code_departement"]].dropna().astype(str)
    counts = pairs.value_counts().reset_index(name="n")
    counts = counts.sort_values(["code_epci", "n", "code_departement"],
                                ascending=[True, False, True])
    return dict(counts.drop_duplicates("code_epci")[["code_epci", "code_departement"]]
                .itertuples(index=False, name=None))
