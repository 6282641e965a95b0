"""The data of the report, taken from the published (``publique``) indicator rows — pure."""

from __future__ import annotations

import pandas as pd

from iae_etat.analyse.evolution import RATES
from iae_etat.common.indicators import BY_CODE, CATALOGUE, Indicateur
from iae_etat.common.vocabulary import ENSEMBLE, LEVEL_LABELS, PUBLIC_LABELS, TYPES_SIAE
from iae_etat.report.tableau_de_bord_cellules import french_key
from iae_etat.tables.formats import MISSING_SYMBOL, RATE_GAP, SECRET_SYMBOL, cellule, nombre

TABLE_INDICATORS = ("nb_siae", "etp_conventionnes", "salaries_annee", "de_abc",
                    "taux_equipement_etp_de_abc")
# One figure per concept: the ETP and salariés are those of every SIAE (from the ASP when it is
# given); the respondents' declared figures are in the reconciliation, not in the synthèse.
KEY_FIGURES = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee", "de_abc",
               "de_abc_non_ventile", "taux_equipement_etp_de_abc", "foyers_rsa",
               "taux_equipement_etp_brsa", "taux_reponse", "taux_reponse_etp",
               "taux_sortie_dynamique_asp")

PUBLIC_INDICATORS = ("salaries_public", "part_public_salaries", "part_public_de_abc",
                     "ecart_representativite")
COVERAGE_COLUMNS = (("valeur_besoin", "Demandeurs d'emploi A, B, C", "personnes"),
                    ("etp_conventionnes", "ETP conventionnés", "ETP"),
                    ("taux_equipement", "Taux d'équipement (ETP pour 1 000 DE ABC)", "ETP"),
                    ("part_besoin", "Part du besoin", "%"), ("part_offre", "Part de l'offre", "%"))
NOT_APPLICABLE = "—"
ZONES_BLANCHES_SHOWN = 20  # per need; the full list is in out_couverture.parquet


def published(indicateurs: pd.DataFrame) -> pd.DataFrame:
    """The rows a public report may show."""
    return indicateurs[indicateurs["diffusion"] == "publique"]


def by_departement(indicateurs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The published all-publics rows of each département, split once (large scopes)."""
    rows = published(indicateurs)
    rows = rows[(rows["niveau"] == "departement") & (rows["public"] == ENSEMBLE)]
    return {str(code): group for code, group in rows.groupby("code", sort=True, observed=True)}


def key_figures(rows: pd.DataFrame) -> list[dict]:
    """Figures of the synthèse from one département's rows, formatted, with their raw value."""
    rows = rows[rows["type_siae"] == ENSEMBLE]
    found = dict(zip(rows["indicateur"], zip(rows["valeur"], rows["statut"], strict=True),
                     strict=True))
    out = []
    for code in KEY_FIGURES:
        if code not in found:
            continue
        value, statut = found[code]
        out.append({"code": code, "libelle": BY_CODE[code].libelle, "unite": BY_CODE[code].unite,
                    "valeur": value, "texte": cellule(value, statut, BY_CODE[code].unite)})
    return out


# Each figure of all SIAE beside the respondents' declaration of the same concept.
RECONCILED = (("etp_conventionnes", "etp_conventionnes_questionnaires"),
              ("etp_realises", "etp_realises_questionnaires"),
              ("salaries_annee", "salaries_annee_questionnaires"))


def reconciliation(rows: pd.DataFrame) -> list[dict]:
    """The reconciliation rows of one département (its published all-publics rows): for each
    concept and kind, the figure of all SIAE, the respondents' declared figure, the gap
    (all − declared, shown only when both are published) and the response rate in ETP, which
    explains most of the gap."""
    found = {(k, i): (v, s, u) for k, i, v, s, u in zip(
        rows["type_siae"], rows["indicateur"], rows["valeur"], rows["statut"], rows["unite"],
        strict=True)}
    lines = []
    for base, declared in RECONCILED:
        for kind in (*TYPES_SIAE, ENSEMBLE):
            pair = [found.get((kind, base)), found.get((kind, declared))]
            if pair[0] is None:
                continue
            both = all(c and c[1] not in ("s", "nd") and pd.notna(c[0]) for c in pair)
            gap = (cellule(pair[0][0] - pair[1][0], "", pair[0][2]) if both
                   else SECRET_SYMBOL if any(c and c[1] == "s" for c in pair)
                   else MISSING_SYMBOL)
            rate = found.get((kind, "taux_reponse_etp"))
            lines.append({"indicateur": BY_CODE[base].libelle,
                          "type": "Ensemble" if kind == ENSEMBLE else kind,
                          "cellules": [*(cellule(*c) if c else MISSING_SYMBOL for c in pair),
                                       gap, cellule(*rate) if rate else MISSING_SYMBOL]})
    return lines


def level_table(indicateurs: pd.DataFrame, niveau: str, codes: list[str] | None = None) -> dict:
    """One table of the report: a row per territory, a column per indicator."""
    rows = published(indicateurs)
    rows = rows[(rows["niveau"] == niveau) & (rows["type_siae"] == ENSEMBLE)
                & (rows["public"] == ENSEMBLE) & rows["indicateur"].isin(TABLE_INDICATORS)]
    if codes is not None:
        rows = rows[rows["code"].isin(codes)]
    rows = rows.dropna(subset=["libelle", "code"])
    cells: dict[tuple, dict] = {}
    for libelle, code, indicateur, valeur, statut, unite in zip(
            rows["libelle"], rows["code"], rows["indicateur"], rows["valeur"], rows["statut"],
            rows["unite"], strict=True):
        cells.setdefault((libelle, code), {})[indicateur] = cellule(valeur, statut, unite)
    body = [{"code": code, "libelle": libelle,
             "cellules": [cells[(libelle, code)].get(i, "nd") for i in TABLE_INDICATORS]}
            for libelle, code in sorted(cells, key=lambda key: (french_key(key[0]), key[1]))]
    if niveau != "departement":  # the source's DE its communes do not show: levels add up
        rest = published(indicateurs)
        rest = rest[(rest["niveau"] == "departement")
                    & (rest["indicateur"] == "de_abc_non_ventile") & rest["valeur"].notna()]
        body += [{"code": r.code, "libelle": f"Non ventilé ({r.libelle})",
                  "cellules": [cellule(r.valeur, r.statut, r.unite) if i == "de_abc"
                               else NOT_APPLICABLE for i in TABLE_INDICATORS]}
                 for r in rest.itertuples(index=False)]
    return {"niveau": niveau, "titre": LEVEL_LABELS[niveau], "note": "",
            "colonnes": [BY_CODE[i].libelle for i in TABLE_INDICATORS], "lignes": body}


def by_type(rows: pd.DataFrame) -> dict:
    """Offer of one département by type of SIAE, from its rows."""
    found = dict(zip(zip(rows["type_siae"], rows["indicateur"], strict=True),
                     zip(rows["valeur"], rows["statut"], strict=True), strict=True))
    indicators = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee",
                  "taux_reponse", "taux_reponse_etp")
    lines, etp, absents = [], [], []
    for kind in (*TYPES_SIAE, ENSEMBLE):
        cells = [cellule(*found[(kind, i)], BY_CODE[i].unite) if (kind, i) in found else "nd"
                 for i in indicators]
        lines.append({"libelle": "Ensemble" if kind == ENSEMBLE else kind, "cellules": cells})
        if kind != ENSEMBLE and (kind, "etp_conventionnes") in found:
            value, statut = found[(kind, "etp_conventionnes")]
            if statut == "publie" and not pd.isna(value):
                etp.append((kind, float(value)))
            else:  # « s » or « nd » is not a bar of 0
                absents.append(kind)
    return {"colonnes": [BY_CODE[i].libelle for i in indicators], "lignes": lines, "etp": etp,
            "absents": absents}


def evolution_rows(rows: pd.DataFrame) -> list[dict]:
    """Key figures of one département against each earlier millésime, from its rows."""
    if rows.empty:  # no earlier millésime: most projects, a hundred départements
        return []
    rows = rows[(rows["type_siae"] == ENSEMBLE) & rows["indicateur"].isin(KEY_FIGURES)]
    out = []
    for row in rows.sort_values(["millesime_reference", "indicateur"]).itertuples(index=False):
        unite = BY_CODE[row.indicateur].unite
        out.append({"libelle": BY_CODE[row.indicateur].libelle,
                    "reference": int(row.millesime_reference),
                    "valeur_reference": cellule(row.valeur_reference, row.statut, unite),
                    "valeur": cellule(row.valeur, row.statut, unite),
                    "ecart": cellule(row.ecart, row.statut, RATE_GAP.get(unite, unite)),
                    "ecart_pct": NOT_APPLICABLE if unite in RATES
                    else cellule(row.ecart_pct, row.statut, "%"),
                    "rupture": getattr(row, "rupture", "") or ""})
    return out


def evolution_breaks(rows: list[dict]) -> list[str]:
    """The distinct series breaks of the evolution rows (``evolution_rows``), in order."""
    return list(dict.fromkeys(r["rupture"] for r in rows if r["rupture"]))


def source_notes(sources: pd.DataFrame) -> list[dict]:
    """The rounding and the series breaks of each source read (``core_sources``), once."""
    if "arrondi" not in sources.columns:
        return []
    rows = sources[(sources["arrondi"].fillna("") != "") | (sources["ruptures"].fillna("") != "")]
    rows = rows.drop_duplicates("titre").sort_values("titre")
    return [{"titre": r.titre, "arrondi": r.arrondi or "", "ruptures": r.ruptures or ""}
            for r in rows.itertuples(index=False)]


def catalogue_rows() -> list[dict]:
    """The indicator catalogue for the methodological annex."""
    return [{"code": i.code, "libelle": i.libelle, "definition": i.definition,
             "formule": i.formule, "unite": i.unite, "sources": ", ".join(i.sources),
             "declinaisons": _declinaisons(i)}
            for i in CATALOGUE]


def _declinaisons(indicateur: Indicateur) -> str:
    """Where an indicator is given: its levels, by type of SIAE, by public."""
    parts = [", ".join(LEVEL_LABELS[n] for n in indicateur.niveaux)]
    if indicateur.par_type:
        parts.append("par type de SIAE")
    if indicateur.par_public:
        parts.append("par public")
    return " ; ".join(parts)


def publics_table(indicateurs: pd.DataFrame, code: str) -> dict:
    """Représentativité des publics of one département: a row per public."""
    rows = published(indicateurs)
    rows = rows[(rows["niveau"] == "departement") & (rows["code"] == code)
                & (rows["type_siae"] == ENSEMBLE) & (rows["public"] != ENSEMBLE)
                & rows["indicateur"].isin(PUBLIC_INDICATORS)]
    by_public: dict[str, dict] = {}
    for public, indicateur, valeur, statut, unite in zip(
            rows["public"], rows["indicateur"], rows["valeur"], rows["statut"], rows["unite"],
            strict=True):
        by_public.setdefault(public, {})[indicateur] = cellule(valeur, statut, unite)
    lignes = []
    for public, libelle in PUBLIC_LABELS.items():
        cells = by_public.get(public, {})
        if cells:
            lignes.append({"libelle": libelle,
                           "cellules": [cells.get(i, NOT_APPLICABLE) for i in PUBLIC_INDICATORS]})
    return {"colonnes": [BY_CODE[i].libelle for i in PUBLIC_INDICATORS], "lignes": lignes}


def coverage_table(couverture: pd.DataFrame, niveau: str = "epci") -> dict:
    """Coverage of the demandeurs d'emploi ABC per territory of ``niveau``, with the band."""
    rows = couverture[(couverture["diffusion"] == "publique") & (couverture["niveau"] == niveau)
                      & (couverture["besoin"] == "de_abc")]
    rows = rows.assign(_tri=rows["libelle"].astype(object).map(french_key)) \
        .sort_values(["_tri", "code"])
    lignes = []
    for row in rows.itertuples(index=False):
        cells = [_coverage_cell(getattr(row, column), row.statut, unite)
                 for column, _, unite in COVERAGE_COLUMNS]
        if row.statut == "publie":
            cells += [nombre(row.indice_couverture, 2), row.couverture]
        else:
            cells += [cellule(None, row.statut, "")] * 2
        lignes.append({"code": row.code, "libelle": row.libelle, "cellules": cells})
    return {"titre": LEVEL_LABELS[niveau],
            "colonnes": [label for _, label, _ in COVERAGE_COLUMNS]
            + ["Indice de couverture", "Couverture"], "lignes": lignes}


def _coverage_cell(value: object, statut: str, unite: str) -> str:
    """A figure of the coverage table: the row's status only hides what is missing."""
    return cellule(value, "publie" if pd.notna(value) else statut, unite)


def zones_blanches(couverture: pd.DataFrame, niveau: str = "commune") -> list[dict]:
    """The first published zones blanches of ``niveau``, ranked by need within each need."""
    rows = couverture[(couverture["diffusion"] == "publique") & (couverture["niveau"] == niveau)
                      & couverture["zone_blanche"]]
    rows = rows.sort_values(["besoin", "rang_zone_blanche", "code"]) \
        .groupby("besoin", observed=True).head(ZONES_BLANCHES_SHOWN)
    return [{"rang": int(r.rang_zone_blanche), "code": r.code, "libelle": r.libelle,
             "besoin": r.libelle_besoin, "valeur": nombre(r.valeur_besoin)}
            for r in rows.itertuples(index=False)]


def sans_offre(couverture: pd.DataFrame, niveaux: tuple[str, ...] = ("epci", "clpe")) -> list[dict]:
    """The published EPCI and CLPE without any SIAE present (neither a siège nor a site of
    activity), ranked by their demandeurs d'emploi ABC within each level (rank of zone blanche
    when the need reaches the threshold)."""
    rows = couverture[(couverture["diffusion"] == "publique")
                      & couverture["niveau"].isin(niveaux) & (couverture["besoin"] == "de_abc")
                      & (couverture["nb_siae_sites"] == 0)]
    rows = rows.assign(_ordre=rows["niveau"].map(niveaux.index),
                       _besoin=rows["valeur_besoin"].astype(float).fillna(-1.0))
    rows = rows.sort_values(["_ordre", "_besoin", "code"], ascending=[True, False, True])
    return [{"niveau": LEVEL_LABELS[r.niveau], "code": r.code, "libelle": r.libelle,
             "valeur": nombre(r.valeur_besoin),
             "rang": int(r.rang_zone_blanche) if pd.notna(r.rang_zone_blanche)
             else NOT_APPLICABLE}
            for r in rows.itertuples(index=False)]


def alerte_reponse(chiffres: list[dict], plancher: float) -> str:
    """The banner of a synthèse whose response rate is under ``plancher`` (percent), else
    the empty text."""
    taux = next((c["valeur"] for c in chiffres if c["code"] == "taux_reponse"), None)
    if taux is None or pd.isna(taux) or float(taux) >= plancher:
        return ""
    return (f"Attention : seules {cellule(taux, 'publie', '%')} des SIAE ont répondu au "
            f"questionnaire (seuil d'alerte : {cellule(plancher, 'publie', '%')}). Les chiffres "
            "tirés des questionnaires (publics, sorties, financements) décrivent mal l'ensemble "
            "des SIAE ; ceux de l'ASP couvrent toutes les SIAE.")


def source_rows(sources: pd.DataFrame, nominatif: bool) -> list[dict]:
    """The files read, for the sources table of the annexes. A public document gives the
    questionnaires as one line (their count and folder): their names are the SIRET of the
    SIAE that answered, and the état des lieux is not an audit of who did."""
    if nominatif:
        return sources.to_dict("records")
    returns = sources["source"] == "questionnaires"
    rows = sources[~returns].to_dict("records")
    if returns.any():
        first = sources[returns].iloc[0]
        folder = str(first["fichier"]).rsplit("/", 1)[0]
        rows.append({**first.to_dict(), "fichier": f"{returns.sum()} fichier(s) de {folder}/",
                     "sha256": ""})
    return rows
