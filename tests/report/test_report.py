"""The HTML report: overrides, escaping, synthèse against the tables, annexes, accessibility."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from markupsafe import escape

from iae_etat.common.entries import Entries
from iae_etat.project.config import load_projet
from iae_etat.report import context, stage
from iae_etat.report.stage import ANNEXES_NAME, render_documents, render_report
from iae_etat.tables.contracts import TABLE_LAYERS
from iae_etat.tables.formats import cellule, pourcentage
from iae_etat.territoires import referentiel
from tests.conftest import ROOT

PROCESSED = "data/processed/2025"
SCRIPT = "<script>alert(1)</script>"


def _tables(project: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(project / PROCESSED / f"{name}.parquet")
            for name in ("out_indicateurs", "out_evolution", "out_couverture", "core_structures",
                         "core_anomalies", "core_sources", "core_collecte", "out_ecarts",
                         "core_territoires")}


def _render(project: Path, tables: dict[str, pd.DataFrame], name: str = "") -> str:
    documents = render_documents(load_projet(project), 2025, tables["out_indicateurs"],
                                 tables["out_evolution"], tables["out_couverture"],
                                 tables["core_structures"], tables["core_anomalies"],
                                 tables["core_sources"], tables["core_collecte"],
                                 ecarts=tables["out_ecarts"])
    return documents[name] if name else "".join(documents.values())


def test_the_synthese_of_a_departement_is_drawn_again_only_when_its_rows_change(built_demo,
                                                                               tmp_path):
    tables = _tables(built_demo)
    projet = load_projet(built_demo)
    territoires = referentiel.territoires(list(projet.departements))

    def pages(memo: Entries | None = None) -> list[dict]:
        return stage.departement_pages(projet, 2025, tables["out_indicateurs"],
                                       tables["out_evolution"], tables["out_couverture"],
                                       tables["out_ecarts"], territoires,
                                       tables["core_territoires"], memo)

    cold = pages()
    assert pages(Entries(tmp_path, writable=True)) == cold
    drawn = []
    original = stage.departement_page

    def counted(code, *args):
        drawn.append(code)
        return original(code, *args)

    with mock.patch.object(stage, "departement_page", counted):
        assert pages(Entries(tmp_path, writable=True)) == cold
        assert drawn == []
        # a figure of the département published otherwise: its synthèse changes
        indicateurs = tables["out_indicateurs"]
        figure = (indicateurs["niveau"] == "departement") \
            & (indicateurs["indicateur"] == "nb_siae") \
            & (indicateurs["type_siae"] == "ensemble") & (indicateurs["public"] == "ensemble")
        tables["out_indicateurs"] = indicateurs.assign(
            valeur=indicateurs["valeur"].where(~figure, indicateurs["valeur"] + 1000))
        warm = pages(Entries(tmp_path, writable=True))
    assert drawn == ["26"]
    assert warm == pages() != cold


def _restreinte(built_demo: Path, tmp_path: Path) -> Path:
    """A copy of the built demo whose report is in ``restreinte`` diffusion."""
    project = tmp_path / "restreinte"
    shutil.copytree(built_demo, project)
    config = project / "iae-etat.toml"
    config.write_text(config.read_text("utf-8").replace("[rapport]\n",
                                                         '[rapport]\ndiffusion = "restreinte"\n'),
                      "utf-8")
    return project


def test_no_template_syntax_left_and_self_contained(built_demo):
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    assert "{{" not in page and "{%" not in page and "{#" not in page
    assert "&#34;" not in page.split("</style>")[0]  # the CSS is not HTML-escaped
    assert not re.search(r"""(src|href)=["']?(https?:)?//|@import|<link|<script""", page)


def test_every_figure_of_the_synthese_equals_the_tables(built_demo):
    out = pd.read_parquet(built_demo / PROCESSED / "out_indicateurs.parquet")
    dep = out[(out["diffusion"] == "publique") & (out["niveau"] == "departement")
              & (out["type_siae"] == "ensemble") & (out["public"] == "ensemble")]
    dep = dep.set_index("indicateur")
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    shown = dict(re.findall(r'<li data-indicateur="([^"]+)"><span class="valeur">([^<]+)</span>',
                            page))
    assert set(shown) == set(context.KEY_FIGURES) & set(dep.index)
    for code, text in shown.items():
        row = dep.loc[code]
        assert html.unescape(text) == cellule(row["valeur"], row["statut"], row["unite"]), code


def test_structure_names_are_escaped_and_listed_in_the_restreinte_annexes_only(built_demo,
                                                                               tmp_path):
    tables = _tables(built_demo)
    structures = tables["core_structures"].copy()
    structures.loc[0, "denomination"] = SCRIPT
    tables["core_structures"] = structures
    project = _restreinte(built_demo, tmp_path)
    page = _render(project, tables, ANNEXES_NAME)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.split('id="structures"')[1]
    publique = _render(built_demo, tables)
    assert 'id="structures"' not in publique and "&lt;script&gt;" not in publique


def test_bonnes_pratiques_show_escaped_text_with_the_structure_name(built_demo):
    tables = _tables(built_demo)
    reponses = pd.read_parquet(built_demo / PROCESSED / "raw_questionnaires.parquet")
    reponses.loc[0, "bonnes_pratiques"] = f"Un atelier mobilité {SCRIPT}"
    page = render_report(load_projet(built_demo), 2025, tables["out_indicateurs"],
                         tables["out_evolution"], tables["out_couverture"],
                         tables["core_structures"], tables["core_anomalies"],
                         tables["core_sources"], tables["core_collecte"],
                         ecarts=tables["out_ecarts"], reponses=reponses)
    assert SCRIPT not in page
    section = page[page.index('id="bonnes-pratiques"'):page.index('id="evolution"')]
    assert "Un atelier mobilité &lt;script&gt;alert(1)&lt;/script&gt;" in section
    names = tables["core_structures"].set_index(["siret", "type_siae"])["denomination"]
    name = names[(reponses.at[0, "siret"], reponses.at[0, "type_siae"])]
    assert str(escape(name)) in section.split("Levée des freins")[1]


def test_a_project_overrides_a_block_and_extends_the_default(built_demo, tmp_path):
    project = tmp_path / "projet"
    shutil.copytree(built_demo, project)
    (project / "templates").mkdir()
    (project / "templates" / "etat-des-lieux.html.j2").write_text(
        '{% extends "default:etat-des-lieux.html.j2" %}\n'
        '{% block synthese %}<p id="mot-du-cdiae">Mot du président du CDIAE.</p>\n'
        "{{ super() }}{% endblock %}\n", "utf-8")
    page = _render(project, _tables(project))
    assert '<p id="mot-du-cdiae">Mot du président du CDIAE.</p>' in page
    assert page.index("mot-du-cdiae") < page.index('data-indicateur="nb_siae"')
    assert "Pistes pour le plan d'action" in page  # the rest of the default template is kept


def test_method_annex_tells_the_residence_and_the_calage(built_demo):
    from iae_etat.analyse import calage
    from iae_etat.analyse.indicateurs import ATTRIBUTED

    tables = _tables(built_demo)
    out = tables["out_indicateurs"].copy()
    epci = out["niveau"].isin(["epci", "departement"]) & out["indicateur"].isin(ATTRIBUTED)
    out.loc[epci, "methode"] = "residence+calage"
    tables["out_indicateurs"] = out
    read = {n: pd.read_parquet(built_demo / PROCESSED / f"{n}.parquet")
            for n in ("core_structures", "core_territoires", "core_asp")}
    groupes = calage.groupes(read["core_structures"], read["core_territoires"],
                                  read["core_asp"])
    page = html.unescape("".join(render_documents(
        load_projet(built_demo), 2025, out, tables["out_evolution"], tables["out_couverture"],
        tables["core_structures"], tables["core_anomalies"], tables["core_sources"],
        tables["core_collecte"], ecarts=tables["out_ecarts"], groupes=groupes).values()))
    assert "La résidence n'est connue que par EPCI" in page
    assert "Poids de calage par département et type de SIAE" in page
    aci = groupes.set_index("type_siae").loc["ACI"]
    assert f"{aci['poids']:.3f}".replace(".", ",") in page
    assert "estimations pour l'ensemble des SIAE, par calage" in page
    assert "Aucune correction de la non-réponse" not in page
    default = html.unescape((built_demo / "reports/2025/annexes.html").read_text("utf-8"))
    assert "Aucune correction de la non-réponse" in default
    dep = tables["out_indicateurs"].set_index(["diffusion", "niveau", "indicateur", "type_siae",
                                               "public"])["valeur"]
    shares = [pourcentage(dep["publique", "departement", i, "ensemble", "ensemble"])
              for i in ("taux_reponse", "taux_reponse_etp")]
    assert f"{shares[0]} des SIAE ont répondu, représentant {shares[1]} des ETP" in default


def test_toc_lists_every_section(built_demo):
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    nav = page[page.index('<nav class="sommaire"'):page.index("</nav>")]
    body = page[page.index("</nav>"):]
    for anchor in re.findall(r'<h2 id="([^"]+)"', body):
        assert f'href="#{anchor}"' in nav


def test_data_dictionary_and_method_annex_come_from_contracts_and_catalogue(built_demo):
    page = html.unescape((built_demo / "reports/2025/annexes.html").read_text("utf-8"))
    for contract in sorted(p for p in (ROOT / "schemas").glob("*.yaml")
                           if p.name.startswith(TABLE_LAYERS)):
        assert f'id="table-{contract.stem}"' in page
    from iae_etat.common.indicators import CATALOGUE

    for indicateur in CATALOGUE:
        assert indicateur.formule in page
    from iae_etat.analyse.ecarts import FORMULES

    for formule in FORMULES.values():
        assert formule in page
    assert "Aucun effectif de personnes compris entre 1 et 10" in page


@pytest.mark.parametrize("name", ["etat-des-lieux.html", "annexes.html"])
def test_tables_have_captions_and_header_scopes(built_demo, name):
    page = (built_demo / "reports/2025" / name).read_text("utf-8")
    page = re.sub(r"<svg.*?</svg>", "", page, flags=re.DOTALL)
    tables = re.findall(r"<table.*?</table>", page, flags=re.DOTALL)
    assert tables
    for table in tables:
        assert "<caption>" in table
        assert not re.search(r"<th(?=[\s>])(?![^>]*scope=)", table)
    assert re.findall(r"<h1[ >]", page) and len(re.findall(r"<h1[ >]", page)) == 1
    for figure in re.findall(r"<figure.*?</figure>", page, flags=re.DOTALL):
        assert 'role="img" aria-label="' in figure and "<figcaption>" in figure


def test_plan_action_shows_ranked_published_gaps_only():
    from iae_etat.report.plan_action import largest_gaps

    rows = []
    for code, ecart, rang, statut in (("A", 4.0, 2, "publie"), ("B", 9.5, 1, "publie"),
                                      ("C", None, None, "s"), ("D", -3.0, None, "publie")):
        for diffusion in ("publique", "restreinte"):
            rows.append({"diffusion": diffusion, "niveau": "epci", "code": code,
                         "libelle": f"EPCI {code}", "mesure": "etp_manquants",
                         "public": "ensemble", "libelle_public": "Ensemble des publics",
                         "besoin": "de_abc", "libelle_besoin": "Demandeurs d'emploi A, B, C",
                         "assiette": 1000.0, "taux_territoire": 10.0, "taux_reference": 20.0,
                         "cible": 20.0, "offre": 10.0, "ecart": ecart, "rang": rang,
                         "statut": statut})
    result = largest_gaps(pd.DataFrame(rows))
    (table,) = result["tableaux"]
    assert [line["code"] for line in table["lignes"]] == ["B", "A"]
    assert table["lignes"][0]["cellules"] == ["1\u202f000", "10,0", "20,0", "10,0", "20,0", "9,5"]
    assert result["secrets"] == 1 and table["classes"] == 2


def test_plan_action_summarises_each_scenario_or_its_error(built_demo):
    from iae_etat.report.plan_action import scenario_summaries
    from iae_etat.scenario.run import project_scenarios

    tables = {name: pd.read_parquet(built_demo / PROCESSED / f"{name}.parquet")
              for name in ("out_indicateurs", "core_territoires")}
    (demo,) = scenario_summaries(project_scenarios(load_projet(built_demo), tables))
    assert demo["fichier"] == "scenarios/exemple-scenario.toml" and not demo["erreur"]
    assert demo["hypotheses"][0].startswith("Ajout de 10 ETP conventionnés d'ACI — EPCI")
    # the EPCI has one SIAE: its ETP are secret before and after (3-SIAE rule)
    assert ["EPCI", "CC Porte de Dromardèche (200040491)", "s → s"] == \
        [c for c in demo["lignes"] if "200040491" in c[1]][0][:3]
    # the département is published: + 10 (ACI) + 6 (new EI) − 2.5 (EI) = + 13.5 ETP
    out = tables["out_indicateurs"]
    before = out.loc[(out["diffusion"] == "publique") & (out["niveau"] == "departement")
                     & (out["indicateur"] == "etp_conventionnes")
                     & (out["type_siae"] == "ensemble") & (out["public"] == "ensemble"),
                     "valeur"].item()
    assert before == pytest.approx(1129.2)
    assert [c for c in demo["lignes"] if c[0] == "Département"][0][2] == \
        "1\u202f129,2 → 1\u202f142,7"
    broken = scenario_summaries([{"fichier": "scenarios/x.toml", "erreur": "Erreur."}])
    assert broken == [{"fichier": "scenarios/x.toml", "erreur": "Erreur."}]
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    assert "Renforcer l&#39;offre du nord et du sud-est du département" in page


def test_a_bad_scenario_file_is_reported_not_fatal(built_demo, tmp_path):
    from iae_etat.scenario.run import project_scenarios

    project = tmp_path / "projet"
    shutil.copytree(built_demo, project)
    (project / "scenarios" / "zz.toml").write_text(
        '[[hypothese]]\ncommune = "26999"\ntype_siae = "AI"\netp = 1\n', "utf-8")
    tables = _tables(project)
    scenarios = project_scenarios(load_projet(project), tables)
    assert scenarios[-1]["erreur"].startswith("scenarios/zz.toml : le scénario ne peut pas")
    page = render_report(load_projet(project), 2025, tables["out_indicateurs"],
                         tables["out_evolution"], tables["out_couverture"],
                         tables["core_structures"], tables["core_anomalies"],
                         tables["core_sources"], tables["core_collecte"],
                         ecarts=tables["out_ecarts"], scenarios=scenarios)
    assert "la commune 26999 n&#39;est pas dans le périmètre du projet" in page


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium absent")
def test_report_renders_in_headless_chromium(built_demo, tmp_path):
    import subprocess

    from matplotlib.image import imread

    shot = tmp_path / "rapport.png"
    page = (built_demo / "reports/2025/etat-des-lieux.html").as_uri()
    subprocess.run([_chromium(), "--headless", "--disable-gpu", "--no-sandbox",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profil'}",
                    f"--screenshot={shot}", "--window-size=1200,1600", page],
                   check=True, capture_output=True, timeout=120)
    pixels = imread(str(shot))
    assert pixels.std() > 0.01  # not a blank page


GOLDEN = Path(__file__).parents[1] / "golden" / "etat-des-lieux.html"


def normalised(page: str) -> str:
    """The report without what may change with library versions: SVG drawings, tool version."""
    page = re.sub(r"<svg.*?</svg>", "<svg/>", page, flags=re.DOTALL)
    return re.sub(r"iae-etat \d[\w.+-]*", "iae-etat VERSION", page)


def test_report_matches_the_golden_file(built_demo):
    """The demo report, normalised, against tests/golden/ (IAE_ETAT_GOLDEN=1 rewrites it after a
    deliberate change of the report; review the diff before committing)."""
    import os

    page = normalised((built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
    if os.environ.get("IAE_ETAT_GOLDEN") == "1":
        GOLDEN.write_text(page, "utf-8")
    assert page == GOLDEN.read_text("utf-8")


INTERNAL = re.compile(r"\b(?:out|core|raw)_[a-z_]+|\.parquet\b|data/(?:raw|processed)|"
                      r"\.toml\b|iae-etat [a-z]")


def test_the_decision_document_names_no_internal_table_or_file(built_demo):
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>|<[^>]+>", " ", page, flags=re.DOTALL)
    assert INTERNAL.findall(html.unescape(text)) == []
    annexes = (built_demo / "reports/2025/annexes.html").read_text("utf-8")
    assert "out_indicateurs" in annexes  # the annexes keep the method and the dictionary


def test_the_synthese_opens_with_the_key_messages(built_demo):
    page = html.unescape((built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
    synthese = page[page.index('id="synthese-26"'):page.index('id="offre"')]
    rules = re.findall(r'<li data-regle="([a-z]+)"', synthese)
    assert rules == ["offre", "couverture", "etp", "zones", "publics", "evolution", "reponse"]
    assert synthese.index("Messages clés") < synthese.index("Chiffres clés")
    out = pd.read_parquet(built_demo / PROCESSED / "out_indicateurs.parquet")
    dep = out[(out["diffusion"] == "publique") & (out["niveau"] == "departement")
              & (out["type_siae"] == "ensemble") & (out["public"] == "ensemble")] \
        .set_index("indicateur")["valeur"]
    plain = synthese.replace("\u202f", " ")
    assert f"Drôme compte {int(dep['nb_siae'])} SIAE" in plain
    # the demo has no earlier millésime: the trend says so, it invents nothing
    assert "Évolution : non disponible" in synthese


def test_the_plan_action_follows_the_three_axes_of_the_note(built_demo):
    page = html.unescape((built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
    plan = page[page.index('id="plan-action"'):]
    axes = [plan.index(f'id="{a}"') for a in ("axe-offre", "axe-publics", "axe-structures",
                                                 "scenarios")]
    assert axes == sorted(axes)
    assert "ETP manquants" in plan and "Salariés manquants" in plan
    assert "Types de SIAE sans aucune structure par EPCI" in plan


def test_a_fiche_per_epci_in_the_annexes(built_demo):
    page = (built_demo / "reports/2025/annexes.html").read_text("utf-8")
    niveaux = pd.read_parquet(built_demo / PROCESSED / "core_territoires.parquet")
    epci = sorted(niveaux["code_epci"].dropna().astype(str).unique())
    assert sorted(re.findall(r'<h3 id="fiche-(\d+)"', page)) == epci
    fiche = page[page.index('id="fiche-'):]
    fiche = fiche[:fiche.index("</article>")]
    assert "<svg" in fiche and "Chiffres clés" in fiche and "Département" in fiche


def test_commentary_files_appear_in_their_section_after_a_rebuild(built_demo, tmp_path):
    from tests.conftest import cli

    project = tmp_path / "projet"
    shutil.copytree(built_demo, project)
    result = cli(["--project-dir", str(project), "build"])
    assert "à jour" in result.stdout or result.returncode == 0
    folder = project / "commentaires" / "2025"
    folder.mkdir(parents=True)
    (folder / "publics.md").write_text("Le comité relève *la faible part* des seniors.",
                                       "utf-8")
    result = cli(["--project-dir", str(project), "build"])
    assert result.returncode == 0, result.stderr
    page = (project / "reports/2025/etat-des-lieux.html").read_text("utf-8")
    publics = page[page.index('id="publics"'):page.index('id="parcours"')]
    assert "Le comité relève <em>la faible part</em> des seniors." in publics


AXE = Path(os.environ.get("IAE_ETAT_AXE", ROOT / ".venv/axe/node_modules/axe-core/axe.min.js"))
AXE_RUN = ("axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
           " var p = document.createElement('pre'); p.id = 'axe-resultat';"
           " p.textContent = JSON.stringify(r.violations.map(function (v) {"
           " return {id: v.id, impact: v.impact, aide: v.help,"
           " cibles: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); })};"
           " })); document.body.appendChild(p); });")


@pytest.mark.skipif(_chromium() is None or not AXE.is_file(),
                    reason="Chromium ou axe-core absent (.ci/run les installe)")
@pytest.mark.parametrize("name", ["etat-des-lieux.html", "annexes.html"])
def test_axe_core_finds_no_serious_accessibility_violation(built_demo, tmp_path, name):
    """axe-core (npm) run in headless Chromium on each document: no serious or critical
    violation (contrast, names, structure, tables…)."""
    import json
    import subprocess

    page = (built_demo / "reports/2025" / name).read_text("utf-8")
    script = f"<script>{AXE.read_text('utf-8')}</script><script>{AXE_RUN}</script>"
    copy = tmp_path / name
    copy.write_text(page.replace("</body>", script + "</body>"), "utf-8")
    result = subprocess.run([_chromium(), "--headless", "--disable-gpu", "--no-sandbox",
                             "--no-first-run", "--disable-background-networking",
                             f"--user-data-dir={tmp_path / 'profil'}",
                             "--virtual-time-budget=120000", "--dump-dom", copy.as_uri()],
                            capture_output=True, text=True, timeout=600)
    found = re.search(r'<pre id="axe-resultat">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, result.stderr[-2000:]
    violations = json.loads(html.unescape(found.group(1)))
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []


def test_only_the_restreinte_annexes_name_the_siae_that_did_not_answer(built_demo, tmp_path):
    """« Ce n'est pas un audit » : the public documents count the missing returns, the
    restreinte annexes list them for the follow-up."""
    tables = _tables(built_demo)
    suivi = tables["core_collecte"]
    missing = suivi.loc[suivi["statut"] == "manquant", "denomination"].dropna()
    assert len(missing) > 0  # the demo has SIAE without a return
    publique = _render(built_demo, tables, ANNEXES_NAME)
    restreinte = _render(_restreinte(built_demo, tmp_path), tables, ANNEXES_NAME)
    for name in missing:
        escaped = html.escape(name, quote=True)
        assert escaped not in publique and name not in publique
        assert escaped in restreinte
    assert "SIAE du périmètre sans questionnaire reçu" in restreinte
