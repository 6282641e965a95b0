"""The HTML report: overrides, escaping, synthèse against the tables, annexes, accessibility."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from iae_etat.project.config import load_projet
from iae_etat.report import context
from iae_etat.report.stage import render_report
from iae_etat.tables.contracts import TABLE_LAYERS
from iae_etat.tables.formats import cellule, pourcentage
from tests.conftest import ROOT

PROCESSED = "data/processed/2025"
SCRIPT = "<script>alert(1)</script>"


def _tables(project: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(project / PROCESSED / f"{name}.parquet")
            for name in ("out_indicateurs", "out_evolution", "out_couverture", "core_structures",
                         "core_anomalies", "core_sources", "core_collecte", "out_ecarts",
                         "core_territoires")}


def _render(project: Path, tables: dict[str, pd.DataFrame]) -> str:
    return render_report(load_projet(project), 2025, tables["out_indicateurs"],
                         tables["out_evolution"], tables["out_couverture"],
                         tables["core_structures"],
                         tables["core_anomalies"], tables["core_sources"],
                         tables["core_collecte"], ecarts=tables["out_ecarts"])


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


def test_structure_names_are_escaped(built_demo):
    tables = _tables(built_demo)
    structures = tables["core_structures"].copy()
    structures.loc[0, "denomination"] = SCRIPT
    tables["core_structures"] = structures
    page = _render(built_demo, tables)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


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
    assert "Annexe méthodologique" in page  # the rest of the default template is kept


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
    page = html.unescape(render_report(
        load_projet(built_demo), 2025, out, tables["out_evolution"], tables["out_couverture"],
        tables["core_structures"], tables["core_anomalies"], tables["core_sources"],
        tables["core_collecte"], ecarts=tables["out_ecarts"], groupes=groupes))
    assert "La résidence n'est connue que par EPCI" in page
    assert "Poids de calage par département et type de SIAE" in page
    aci = groupes.set_index("type_siae").loc["ACI"]
    assert f"{aci['poids']:.3f}".replace(".", ",") in page
    assert "estimations pour l'ensemble des SIAE, par calage" in page
    assert "Aucune correction de la non-réponse" not in page
    default = html.unescape((built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
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
    page = html.unescape((built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8"))
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


def test_tables_have_captions_and_header_scopes(built_demo):
    page = (built_demo / "reports/2025/etat-des-lieux.html").read_text("utf-8")
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
