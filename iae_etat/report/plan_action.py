"""« Pistes pour le plan d'action »: the largest ranked gaps and the project's scenarios (pure).

The gaps come from the ``publique`` rows of ``out_ecarts`` (a gap on a secret input is neither
ranked nor shown; they are counted). The scenarios are the what-if files of the project's
scenario folder, each summarised by its hypotheses and the coverage before and after of the
territories it touches (the demandeurs d'emploi A, B, C need), or by the problem that stopped it.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.ecarts import ETP, FORMULES, LIBELLES_MESURES, SALARIES, UNITES
from iae_etat.common.vocabulary import ENSEMBLE, LEVEL_LABELS, TYPES_SIAE
from iae_etat.scenario.outputs import TERMINAL_HEADERS, terminal_rows
from iae_etat.scenario.simulate import METHODE
from iae_etat.tables.formats import nombre, pourcentage

SHOWN = 5
NIVEAU = "epci"
COLONNES = {ETP: ("Besoin", "Taux d'équipement (ETP pour 1 000)",
                  "Taux d'équipement du département", "ETP conventionnés", "ETP cibles",
                  "ETP manquants"),
            SALARIES: ("Salariés en insertion", "Part du public parmi les salariés",
                       "Part du public parmi les DE ABC", "Salariés du public",
                       "Salariés cibles", "Salariés manquants")}


def largest_gaps(ecarts: pd.DataFrame, niveau: str = NIVEAU) -> dict:
    """The ``SHOWN`` first ranked gaps of ``niveau`` for each measure and need."""
    rows = ecarts[(ecarts["diffusion"] == "publique") & (ecarts["niveau"] == niveau)]
    tables = []
    for (mesure, _), group in rows[rows["rang"].notna()].groupby(["mesure", "besoin"]):
        first = group.sort_values(["rang", "code", "public"]).head(SHOWN)
        lignes = [{"rang": int(r.rang), "code": r.code, "libelle": r.libelle,
                   "public": r.libelle_public, "cellules": _cells(r)}
                  for r in first.itertuples(index=False)]
        tables.append({"titre": f"{LIBELLES_MESURES[mesure]} — {first['libelle_besoin'].iloc[0]}"
                       if mesure == ETP else LIBELLES_MESURES[mesure],
                       "mesure": mesure, "besoin": first["besoin"].iloc[0],
                       "par_public": mesure == SALARIES, "colonnes": COLONNES[mesure],
                       "lignes": lignes, "classes": len(group)})
    return {"niveau": LEVEL_LABELS[niveau], "tableaux": tables,
            "secrets": int((rows["statut"] == "s").sum())}


def _cells(row) -> list[str]:
    """Assiette, rates, offer, target and gap of a ranked row, in French."""
    if row.mesure == ETP:
        return [nombre(row.assiette), nombre(row.taux_territoire, 1),
                nombre(row.taux_reference, 1), nombre(row.offre, 1), nombre(row.cible, 1),
                nombre(row.ecart, 1)]
    return [nombre(row.assiette), pourcentage(row.taux_territoire),
            pourcentage(row.taux_reference), nombre(row.offre), nombre(row.cible, 1),
            nombre(row.ecart, 1)]


def scenario_summaries(resultats: list[dict]) -> list[dict]:
    """Each scenario of the project: ``fichier``, ``titre``, hypotheses and the before/after
    rows of the territories it touches — or the ``erreur`` that stopped it.

    ``resultats`` items hold ``fichier`` and either ``erreur`` (text) or ``titre``,
    ``hypotheses`` (descriptions) and ``table`` (``analyse.scenario.simulate`` rows of the
    publique diffusion). ``methode`` is the sentence on the reference held fixed, for the note
    under the table and the methodological annex.
    """
    out = []
    for resultat in resultats:
        if "erreur" in resultat:
            out.append({"fichier": resultat["fichier"], "erreur": resultat["erreur"]})
            continue
        table = resultat["table"]
        shown = table[(table["effet"] == "direct") & (table["besoin"] == "de_abc")]
        out.append({"fichier": resultat["fichier"], "erreur": "", "titre": resultat["titre"],
                    "hypotheses": list(resultat["hypotheses"]),
                    "colonnes": [h for h in TERMINAL_HEADERS if h not in ("Besoin", "Effet")],
                    "lignes": [row[:2] + row[3:-1] for row in terminal_rows(shown)],
                    "methode": METHODE})
    return out


def method_rows() -> list[dict]:
    """The gap formulas for the methodological annex."""
    return [{"code": code, "libelle": LIBELLES_MESURES[code], "formule": FORMULES[code],
             "unite": UNITES[code]} for code in (ETP, SALARIES)]


def types_absents(indicateurs: pd.DataFrame, niveau: str = NIVEAU) -> list[dict]:
    """Axis « création de structures »: the territories of ``niveau`` where a type of SIAE has
    no structure (published ``nb_siae`` of 0 or no row for the type), the most types first,
    then the largest need (demandeurs d'emploi A, B, C)."""
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & (indicateurs["niveau"] == niveau) & (indicateurs["public"] == ENSEMBLE)]
    territories = rows[(rows["type_siae"] == ENSEMBLE) & (rows["indicateur"] == "nb_siae")]
    if territories.empty:
        return []
    need = rows[(rows["type_siae"] == ENSEMBLE) & (rows["indicateur"] == "de_abc")
                & (rows["statut"] == "publie")]
    need = dict(zip(need["code"].astype(str), need["valeur"], strict=True))
    counts = rows[(rows["indicateur"] == "nb_siae") & (rows["type_siae"] != ENSEMBLE)]
    # a secret count is not zero: only a published 0 (or no row) means no structure
    present = {(str(c), str(t)) for c, t, v, s in zip(counts["code"], counts["type_siae"],
                                                     counts["valeur"], counts["statut"],
                                                     strict=True)
               if s != "publie" or (pd.notna(v) and v > 0)}
    out = []
    for code, libelle in sorted(zip(territories["code"].astype(str),
                                    territories["libelle"].astype(str), strict=True)):
        missing = [kind for kind in TYPES_SIAE if (code, kind) not in present]
        if missing:
            out.append({"code": code, "libelle": libelle, "types": ", ".join(missing),
                        "nombre": len(missing), "besoin": nombre(need.get(code))})
    key = {r["code"]: -(need.get(r["code"]) or 0) for r in out}
    return sorted(out, key=lambda r: (-r["nombre"], key[r["code"]], r["libelle"]))
