"""The report stage: the HTML état des lieux and the published files of a millésime, from the
published tables only (the control files are written by the controls stage,
``questionnaire/stage.py``)."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pandas as pd

from iae_etat import __version__
from iae_etat.common import resources
from iae_etat.common.apart import Child
from iae_etat.common.entries import Entries
from iae_etat.common.vocabulary import AUDIT_FILE, CALAGE_GROUPS, QUESTIONNAIRES
from iae_etat.project.config import Projet
from iae_etat.project.method import taux_reponse_min
from iae_etat.project.settings import reglages
from iae_etat.report import (
    charts,
    commentaires,
    context,
    context_financement,
    context_method,
    context_structures,
    dictionary,
    encarts,
    export_word,
    fiches,
    maps,
    messages,
    plan_action,
    publication,
    toc,
)
from iae_etat.report.templating import environment, inline_css
from iae_etat.scenario.stage import read_scenarios
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.digests import RowDigests
from iae_etat.tables.files import write_bytes, write_text
from iae_etat.tables.formats import nombre
from iae_etat.territoires import referentiel

REPORT_NAME = "etat-des-lieux.html"
ANNEXES_NAME = "annexes.html"
COMMUNES_SHOWN = 40
# Up to this many rows of indicators read, the documents and the dashboard are written side by
# side; beyond, one after the other. All France in one diffusion (6,8 million rows) is written
# 13 s faster side by side, the two processes together peaking at 1 234 Mio (target 1 536);
# its two diffusions (13,6 million rows, twice the tables) are written one after the other.
SIDE_BY_SIDE_ROWS = 8_000_000
STATUTS = {"retenu": "retenu, cellules en erreur écartées", "ecarte": "écarté",
           "illisible": "refusé avant lecture", "remplace": "remplacé", "manquant": "manquant"}


def run_report(projet: Projet, millesime: int, catalogue: Catalogue,
               reports_dir: Path) -> list[Path]:
    """Write the report and its published files into ``reports_dir``; returns their paths.

    Up to All France in one diffusion (``SIDE_BY_SIDE_ROWS``), the documents are written by a
    child process (``apart.Child``) while this one writes the dashboard: they share the tables
    read before it starts."""

    # The report shows the publique rows; the dashboard those of its diffusion.
    wanted = [("diffusion", "in", sorted({"publique", reglages(projet).diffusion}))]
    shared = {
        "out_indicateurs": catalogue.read("out_indicateurs", filters=wanted, categories=True),
        # the report and the dashboard show the evolution of the territories above the communes
        "out_evolution": catalogue.read("out_evolution",
                                        filters=[*wanted, ("niveau", "!=", "commune")],
                                        categories=True),
        "core_structures": catalogue.read("core_structures"),
        "core_territoires": catalogue.read("core_territoires"),
        "out_couverture": catalogue.read("out_couverture")}
    side_by_side = len(shared["out_indicateurs"]) <= SIDE_BY_SIDE_ROWS
    documents = (Child if side_by_side else Child.here)(
        write_documents, projet, millesime, catalogue, reports_dir, shared)
    try:
        published = publication.write_outputs(projet, millesime, reports_dir, shared)
        return [*documents.result(), *published]
    finally:
        documents.stop()


def write_documents(projet: Projet, millesime: int, catalogue: Catalogue, reports_dir: Path,
                    shared: dict[str, pd.DataFrame]) -> list[Path]:
    """Write the two HTML documents and the Word decision document; returns their paths."""
    # the charts are drawn by matplotlib: a new version may draw them otherwise
    memo = Entries(projet.cache_dir("documents", millesime), writable=True,
                   salt=f"{resources.fingerprint(('schemas',), projet.dir)}|"
                        f"{metadata.version('matplotlib')}")
    anomalies = pd.concat([catalogue.read("core_anomalies"), catalogue.read("out_controles")],
                          ignore_index=True)
    documents = render_documents(projet, millesime, shared["out_indicateurs"],
                                 shared["out_evolution"], shared["out_couverture"],
                                 shared["core_structures"], anomalies,
                                 catalogue.read("core_sources"), catalogue.read("core_collecte"),
                                 ecarts=catalogue.read("out_ecarts", categories=True),
                                 scenarios=read_scenarios(catalogue),
                                 groupes=catalogue.read(CALAGE_GROUPS),
                                 niveaux=shared["core_territoires"],
                                 reponses=catalogue.read_optional(QUESTIONNAIRES),
                                 catalogue_dir=catalogue.dir, memo=memo)
    memo.prune()
    for name, html in documents.items():
        write_text(reports_dir / name, html)
    word = reports_dir / export_word.DOCX_NAME  # the decision document, editable
    write_bytes(word, export_word.html_to_docx(documents[REPORT_NAME],
                                               f"État des lieux — {millesime}"))
    return [*(reports_dir / name for name in documents), word]


def departement_pages(projet: Projet, millesime: int, indicateurs: pd.DataFrame,
                      evolution: pd.DataFrame, couverture: pd.DataFrame, ecarts: pd.DataFrame,
                      territoires: pd.DataFrame, geographie: pd.DataFrame,
                      memo: Entries | None = None) -> list[dict]:
    """The synthèse of each département of the project (``departement_page``), taken from
    ``memo`` when what it reads did not change."""
    libelles = dict(zip(territoires["code_departement"], territoires["nom_departement"],
                        strict=True))
    rows = context.by_departement(indicateurs)
    # the département rows, split once: a national scope has millions of rows
    departement_rows = indicateurs[indicateurs["niveau"] == "departement"]
    departement_rows = {code: group for code, group
                        in departement_rows.groupby("code", observed=True)}
    evolutions = context.by_departement(evolution)
    # the tables each département's key messages are drawn from, split once
    drawn_from = (indicateurs[indicateurs["niveau"] == "departement"], couverture, ecarts,
                  evolution[evolution["niveau"] == "departement"])
    about = [messages.by_departement(table, geographie) for table in drawn_from]
    # the synthèse's inputs are rows of the tables drawn from (``RowDigests``)
    digests = [RowDigests(table) for table in drawn_from] if memo is not None else []
    taux_min = taux_reponse_min(projet)
    pages = []
    for code in projet.departements:
        inputs = (rows.get(code, indicateurs.iloc[:0]), evolutions.get(code, evolution.iloc[:0]),
                  *(part.get(code, table.iloc[:0]) for part, table in zip(
                      about, drawn_from, strict=True)),
                  departement_rows.get(code, indicateurs.iloc[:0]))
        key = None if memo is None else memo.key(
            code, libelles[code], millesime, taux_min,
            *(digest.of(part) for digest, part in zip(
                [digests[0], digests[3], *digests, digests[0]], inputs, strict=True)))
        page = None if memo is None else memo.get(key, dict)
        if page is None:
            page = departement_page(code, libelles[code], millesime, taux_min, *inputs)
            if memo is not None:
                memo.put(key, page)
        pages.append(page)
    return pages


def departement_page(code: str, libelle: str, millesime: int, taux_min: float,
                     rows: pd.DataFrame, evolution: pd.DataFrame, indicateurs: pd.DataFrame,
                     couverture: pd.DataFrame, ecarts: pd.DataFrame, evolution_departement:
                     pd.DataFrame, publics: pd.DataFrame) -> dict:
    """The synthèse of one département: its all-publics ``rows`` and ``evolution``, the tables
    its key messages are drawn from (``messages.messages_cles``) and its rows of every public."""
    par_type = context.by_type(rows)
    figures = context.key_figures(rows)
    graphique = charts.bar_chart([k for k, _ in par_type["etp"]],
                                 [v for _, v in par_type["etp"]], "ETP") \
        if par_type["etp"] else ""
    lignes = context.evolution_rows(evolution)
    return {"code": code, "libelle": libelle, "chiffres": figures,
            "alerte": context.alerte_reponse(figures, taux_min),
            "par_type": par_type, "graphique": graphique, "evolution": lignes,
            "ruptures": context.evolution_breaks(lignes),
            "graphique_alt": f"ETP conventionnés par type de SIAE, {libelle}, {millesime}",
            "rapprochement": context.reconciliation(rows),
            "messages": messages.messages_cles(indicateurs, couverture, ecarts,
                                               evolution_departement, code, libelle, millesime),
            "publics": context.publics_table(publics, code)}


def audit_secret(directory: Path | None) -> dict:
    """The summary of the secrecy audit the analyse stage wrote, with French numbers."""
    path = None if directory is None else directory / AUDIT_FILE
    if path is None or not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {k: nombre(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in data.items()}


def render_report(*args, **kwargs) -> str:
    """The decision document alone (``render_documents``' first document)."""
    return render_documents(*args, **kwargs)[REPORT_NAME]


def render_documents(projet: Projet, millesime: int, indicateurs: pd.DataFrame,
                     evolution: pd.DataFrame, couverture: pd.DataFrame, structures: pd.DataFrame,
                     anomalies: pd.DataFrame, sources: pd.DataFrame, suivi: pd.DataFrame, *,
                     ecarts: pd.DataFrame, scenarios: list[dict] | None = None,
                     groupes: pd.DataFrame | None = None, niveaux: pd.DataFrame | None = None,
                     reponses: pd.DataFrame | None = None,
                     catalogue_dir: Path | None = None,
                     memo: Entries | None = None) -> dict[str, str]:
    """The two self-contained HTML documents, by file name: the decision document of the CDIAE
    and its annexes (pure apart from reading the templates and the commentary files). ``scenarios``
    are the project's what-if files applied (``scenario.stage.read_scenarios``), ``groupes`` the
    calibration groups of the non-response (``out_calage``); ``niveaux``
    (``core_territoires``) adds the zones d'emploi and CLPE of the communes to the maps,
    ``reponses`` (``raw_questionnaires``) gives the secteurs and the bonnes pratiques;
    ``catalogue_dir`` holds the summary of the secrecy audit; ``memo`` keeps the synthèse of
    each département under the digest of what it reads (``departement_page``), so that one
    corrected return draws again only its own département's."""
    territoires = referentiel.territoires(list(projet.departements))
    geographie = territoires if niveaux is None else niveaux
    departements = departement_pages(projet, millesime, indicateurs, evolution, couverture,
                                     ecarts, territoires, geographie, memo)
    with_siae = structures.dropna(subset=["code_commune"])["code_commune"].value_counts()
    shown = sorted(with_siae.index[:COMMUNES_SHOWN])
    tables = [context.level_table(indicateurs, niveau)
              for niveau in ("epci", "arrondissement", "zone_emploi", "clpe")
              if (indicateurs["niveau"] == niveau).any()]
    tables += [{**context.level_table(indicateurs, "commune", shown),
               "note": "communes d'implantation d'au moins une SIAE ; toutes les communes dans "
                       "le tableau de bord"}]
    # the names of the SIAE that did not answer or must correct: restreinte only (not an audit)
    restreinte = reglages(projet).diffusion == "restreinte"
    gravites = anomalies["gravite"].value_counts()
    statuts = suivi["statut"].value_counts()
    bloques = suivi[(suivi["erreurs"] > 0) & (suivi["statut"] != "manquant")]
    collecte = {"recus": int((sources["source"] == "questionnaires").sum()),
                "retenus": int(structures["a_repondu"].sum()), "siae": len(structures),
                "manquants": int(statuts.get("manquant", 0)),
                "ecartes": int(statuts.get("ecarte", 0) + statuts.get("illisible", 0)),
                "remplaces": int(statuts.get("remplace", 0)),
                "liste_manquants": suivi.loc[suivi["statut"] == "manquant",
                                             ["siret", "type_siae", "denomination"]]
                .fillna("").to_dict("records") if restreinte else [],
                "nominatif": restreinte,
                "liste_bloques": bloques[["siret", "type_siae", "denomination", "fichier",
                                          "statut", "erreurs"]].fillna("")
                .assign(statut=lambda d: d["statut"].map(STATUTS))
                .sort_values(["fichier"]).to_dict("records") if restreinte else [],
                "erreurs": int(gravites.get("erreur", 0)),
                "avertissements": int(gravites.get("avertissement", 0)),
                "sources_absentes": sorted(anomalies.loc[anomalies["regle"] == "source.absente",
                                                         "message"])}
    names = ", ".join(d["libelle"] for d in departements)
    figures = maps.report_maps(projet.dir, millesime, indicateurs,
                             geographie, couverture)
    fiches_epci = fiches.fiches(indicateurs, couverture, ecarts,
                                fiches.departement_of(niveaux))
    insets = encarts.insets(projet.dir, millesime, geographie,
                         [f["code"] for f in fiches_epci])
    for fiche in fiches_epci:
        fiche["carte"] = insets.get(fiche["code"], "")
    template = environment(projet.dir).get_template("etat-des-lieux.html.j2")
    css = inline_css(resources.locate("templates", "styles.css", projet.dir)
                     .read_text(encoding="utf-8"))
    values = dict(
        version=__version__, millesime=millesime, territoire=names, css=css, cartes=figures,
        dictionnaire=dictionary.data_dictionary(projet.dir),
        ecarts=plan_action.largest_gaps(ecarts),
        scenarios=plan_action.scenario_summaries(scenarios or []),
        scenarios_dossier=reglages(projet).scenarios, methode_ecarts=plan_action.method_rows(),
        methode_scenarios=plan_action.METHODE,
        couverture=context.coverage_table(couverture),
        zones_blanches=context.zones_blanches(couverture),
        sans_offre=context.sans_offre(couverture),
        # the list of the structures and their response: the restreinte annexes only
        liste_structures=context_structures.structure_list(structures, territoires)
        if restreinte else [],
        commentaires=commentaires.read(projet.dir, millesime), fiches=fiches_epci,
        types_absents=plan_action.types_absents(indicateurs),
        besoins_communes=messages.zones_blanches(couverture)["disponible"],
        donnees_fictives=projet.donnees_fictives, departements=departements, tables=tables,
        collecte=collecte, catalogue=context.catalogue_rows(),
        methode=context_method.methode_context(
            indicateurs, groupes, {d["code"]: d["libelle"] for d in departements}),
        themes=context_financement.sections(projet, indicateurs, structures, reponses,
                                             territoires),
        secret={"seuil": projet.secret.seuil_effectifs, "source": projet.secret.source,
                "dominance": nombre(projet.secret.seuil_dominance * 100),
                "structures": projet.secret.seuil_structures,
                "source_structures": projet.secret.source_structures,
                "protection": nombre(projet.secret.protection_effectifs),
                "protection_montants": nombre(projet.secret.protection_montants * 100),
                "audit": audit_secret(catalogue_dir)},
        sources=context.source_rows(sources, restreinte),
        notes_sources=context.source_notes(sources),
        cog=referentiel.COG_MILLESIME)
    return {name: toc.with_toc(template.render(annexes=name == ANNEXES_NAME, **values))
            for name in (REPORT_NAME, ANNEXES_NAME)}

