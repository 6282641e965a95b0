"""The report's sections « Parcours et sorties », « Financement » and the optional themes
(stratégie économique, personnel permanent, valorisation, bonnes pratiques) — pure.

Figures come from the published (``publique``) indicator rows of each département; the
secteurs and the bonnes pratiques from the questionnaires (``raw_questionnaires``). A theme is
shown only when its data exist; a bonne pratique only with the name of its structure.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from iae_etat.analyse.financement import montant_rsa_annuel
from iae_etat.analyse.themes import couts_valorisation
from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE, TYPES_SIAE
from iae_etat.project.config import Projet
from iae_etat.tables.formats import cellule, nombre

PARCOURS = ("sorties", "sorties_durables", "sorties_transition", "sorties_positives",
            "sorties_dynamiques", "taux_sortie_dynamique", "sorties_asp",
            "sorties_dynamiques_asp", "taux_sortie_dynamique_asp", "etp_conventionnes",
            "etp_realises", "realisation_etp")
FINANCEMENT = ("aide_au_poste_asp", "aide_au_poste", "financement_departement", "equivalent_brsa",
               "financement_etat_hors_aide", "financement_region", "financement_communes",
               "financement_fse", "financement_autres", "autres_financeurs",
               "financements_publics", "chiffre_affaires", "part_autofinancement",
               "dependance_aides_publiques")
STRATEGIE = ("chiffre_affaires", "part_autofinancement", "dependance_aides_publiques")
PERSONNEL = ("etp_encadrement_technique", "etp_accompagnement", "etp_direction", "benevoles",
             "salaries_par_etp_encadrement")
VALORISATION = ("sorties_durables", "sorties_dynamiques", "couts_evites")
AUTRES_PRATIQUES = "Autres pratiques"
# Default themes of the bonnes pratiques and their keywords (accents and case ignored);
# ``[bonnes_pratiques]`` in iae-etat.toml replaces them.
THEMES_BONNES_PRATIQUES = {
    "Relations avec les entreprises": ["entreprise", "employeur", "recrutement", "immersion",
                                       "client", "job dating", "parrainage"],
    "Formation et compétences": ["formation", "qualifi", "competence", "apprentissage",
                                 "certifi", "permis"],
    "Levée des freins périphériques": ["mobilite", "logement", "sante", "garde", "transport",
                                       "numerique", "budget"],
    "Accompagnement des parcours": ["accompagnement", "suivi", "entretien", "parcours",
                                    "tutorat", "referent"],
    "Coopération entre structures": ["cooperation", "partenariat", "mutualis", "reseau",
                                     "groupement", "consortium"],
}


def themes_bonnes_pratiques(projet: Projet) -> dict[str, list[str]]:
    """The themes of ``[bonnes_pratiques]`` (theme → keywords), else the default ones."""
    section = projet.section("bonnes_pratiques")  # validated at load (project/declaration.py)
    if not section:
        return THEMES_BONNES_PRATIQUES
    return {str(theme): list(words) for theme, words in section.items()}


def _plain(text: str) -> str:
    """Lower case without accents, for keyword matching."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def theme_of(text: str, themes: dict[str, list[str]]) -> str:
    """The first theme one of whose keywords appears in ``text``, else ``AUTRES_PRATIQUES``."""
    plain = re.sub(r"\s+", " ", _plain(text))
    for theme, words in themes.items():
        if any(_plain(w.strip()) in plain for w in words):
            return theme
    return AUTRES_PRATIQUES


def kind_table(rows: pd.DataFrame, codes: tuple[str, ...]) -> dict:
    """A table of one département's published rows: an indicator per row, a column per kind
    of SIAE and the ensemble; indicators absent from ``rows`` are left out."""
    rows = rows[rows["public"] == ENSEMBLE]
    found = dict(zip(zip(rows["indicateur"], rows["type_siae"], strict=True),
                     zip(rows["valeur"], rows["statut"], strict=True), strict=True))
    present = {indicateur for indicateur, _ in found}
    kinds = (*TYPES_SIAE, ENSEMBLE)
    lignes = []
    for code in codes:
        if code not in present:
            continue
        unite = BY_CODE[code].unite
        cells = [cellule(*found[(code, kind)], unite) if (code, kind) in found else "nd"
                 for kind in kinds]
        lignes.append({"code": code, "libelle": BY_CODE[code].libelle, "unite": unite,
                       "cellules": cells})
    return {"colonnes": [*TYPES_SIAE, "Ensemble"], "lignes": lignes}


def _has_data(table: dict) -> bool:
    """True when the table shows at least one figure (not only ``nd``)."""
    return any(c != "nd" for ligne in table["lignes"] for c in ligne["cellules"])


def answered_secteurs(structures: pd.DataFrame, reponses: pd.DataFrame | None,
                      departement_of: dict[str, str]) -> pd.DataFrame | None:
    """The SIAE that answered with their secteur d'activité principal, kind and département
    (``code_departement``), or None when the questionnaires have no secteur."""
    if reponses is None or "secteur_principal" not in reponses.columns:
        return None
    data = structures[["siret", "type_siae", "code_commune"]].merge(
        reponses[["siret", "type_siae", "secteur_principal"]], on=["siret", "type_siae"])
    data = data.dropna(subset=["secteur_principal"])
    return data.assign(code_departement=data["code_commune"].map(departement_of))


def secteurs_table(secteurs: pd.DataFrame | None) -> dict:
    """SIAE of one département that answered (its ``answered_secteurs`` rows), by secteur
    d'activité principal and kind."""
    if secteurs is None:
        return {"colonnes": [], "lignes": []}
    counts = pd.crosstab(secteurs["secteur_principal"], secteurs["type_siae"]) \
        .reindex(columns=list(TYPES_SIAE), fill_value=0)
    lignes = [{"libelle": secteur,
               "cellules": [nombre(v) for v in counts.loc[secteur]] + [nombre(sum(counts.loc[
                   secteur]))]} for secteur in sorted(counts.index)]
    return {"colonnes": [*TYPES_SIAE, "Ensemble"], "lignes": lignes}


def bonnes_pratiques(structures: pd.DataFrame, reponses: pd.DataFrame | None,
                     themes: dict[str, list[str]]) -> list[dict]:
    """The bonnes pratiques grouped by theme (themes in configuration order, then the others),
    each with the name and kind of its structure only."""
    if reponses is None or "bonnes_pratiques" not in reponses.columns:
        return []
    names = structures[["siret", "type_siae", "denomination"]]
    data = reponses[["siret", "type_siae", "bonnes_pratiques"]].merge(
        names, on=["siret", "type_siae"])
    data = data[data["bonnes_pratiques"].fillna("").astype(str).str.strip() != ""]
    groups: dict[str, list[dict]] = {t: [] for t in [*themes, AUTRES_PRATIQUES]}
    for row in data.sort_values(["denomination", "type_siae", "siret"]).itertuples(index=False):
        text = str(row.bonnes_pratiques).strip()
        groups[theme_of(text, themes)].append(
            {"structure": row.denomination, "type": row.type_siae, "texte": text})
    return [{"theme": t, "pratiques": p} for t, p in groups.items() if p]


def sections(projet: Projet, indicateurs: pd.DataFrame, structures: pd.DataFrame,
             reponses: pd.DataFrame | None, territoires: pd.DataFrame) -> dict:
    """Everything the sections need: per département the tables, and the configuration notes
    (RSA amount, unit costs of the valorisation) and the bonnes pratiques."""
    rows = indicateurs[(indicateurs["diffusion"] == "publique")
                       & (indicateurs["niveau"] == "departement")]
    departement_of = dict(zip(territoires["code_commune"], territoires["code_departement"],
                              strict=True))
    # split once: a national scope has a hundred départements
    by_code = {code: group for code, group in rows.groupby("code", sort=False, observed=True)}
    secteurs = answered_secteurs(structures, reponses, departement_of)
    secteurs_by_code = {} if secteurs is None else {
        code: group for code, group in secteurs.groupby("code_departement", sort=False)}
    departements = []
    for code in projet.departements:
        own = by_code.get(code, rows.iloc[:0])
        tables = {"parcours": kind_table(own, PARCOURS),
                  "financement": kind_table(own, FINANCEMENT),
                  "strategie": kind_table(own, STRATEGIE),
                  "personnel": kind_table(own, PERSONNEL),
                  "valorisation": kind_table(own, VALORISATION)}
        shown = {name: table if _has_data(table) else None for name, table in tables.items()}
        departements.append({"code": code, **shown,
                             "secteurs": secteurs_table(
                                 None if secteurs is None
                                 else secteurs_by_code.get(code, secteurs.iloc[:0]))})
    rsa = montant_rsa_annuel(projet)
    return {"departements": departements,
            "rsa": None if rsa is None else {
                "montant": nombre(rsa, 2),
                "source": projet.settings.financement.source},
            "couts": [{**c, "montant": nombre(c["montant"], 2)}
                      for c in couts_valorisation(projet)],
            "bonnes_pratiques": bonnes_pratiques(structures, reponses,
                                                 themes_bonnes_pratiques(projet))}
