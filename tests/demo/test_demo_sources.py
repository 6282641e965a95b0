"""The demo built with every source: sources used, needs complete, reconciliation, no personal
data anywhere (tables, reports, log)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.sources.adapters import normalise_header
from tests.conftest import ROOT, cli, copy_project

SOURCES = {"asp", "caf", "clpe", "france_travail", "frr", "insee", "qpv", "questionnaires",
           "structures"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("sources"))
    result = cli(["--project-dir", str(project), "--log-file", str(project / "run.log"),
                  "build"])
    assert result.returncode == 0, result.stderr
    return project


def _table(project: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(project / "data/processed/2025" / f"{name}.parquet")


def test_build_uses_every_source_and_every_adapter(built):
    sources = _table(built, "core_sources")
    assert set(sources["source"]) == SOURCES
    adapters = {p.stem for p in (ROOT / "pipelines").glob("*.yaml")}
    # the older layouts (wide France Travail file, RSA_Com, s_ben_com_f) have their own tests
    assert adapters - {"caf_epci", "france_travail", "caf", "caf_prestations_communes"} <= \
        set(sources["adaptateur"])
    assert sources["vintage"].str.len().gt(0).all() and sources["table"].notna().all()
    anomalies = _table(built, "core_anomalies")
    assert not (anomalies["regle"] == "source.absente").any()
    assert not anomalies["regle"].str.startswith(("source.colonne", "source.nombre")).any()
    html = (built / "reports/2025/annexes.html").read_text("utf-8")  # the sources annex
    assert "fluxIAE_EtatMensuelIndiv_05012026_061500.csv.gz" in html
    assert "décembre 2025, communes au 1er janvier 2026" in html


def test_needs_are_complete_for_every_commune_and_level(built):
    territoires = _table(built, "core_territoires")
    communes = _table(built, "core_besoins")
    assert communes["code_commune"].tolist() == territoires["code_commune"].tolist()
    for column in ("population", "population_15_64", "taux_chomage_ze", "nb_qpv",
                   "population_qpv", "communes_frr"):
        assert communes[column].notna().all(), column
    assert communes["foyers_rsa"].notna().mean() > 0.5
    assert territoires["code_zone_emploi"].notna().all() and territoires["code_clpe"].notna().all()
    levels = _table(built, "core_besoins_territoires")
    for niveau, column in (("commune", "code_commune"), ("epci", "code_epci"),
                           ("arrondissement", "code_arrondissement"),
                           ("zone_emploi", "code_zone_emploi"), ("clpe", "code_clpe"),
                           ("departement", "code_departement")):
        codes = set(levels.loc[levels["niveau"] == niveau, "code"])
        assert codes == set(territoires[column].dropna()), niveau
    departement = levels[levels["niveau"] == "departement"].iloc[0]
    assert departement["population"] == pytest.approx(communes["population"].sum())
    # France Travail's own département figure, not the sum of partly masked communes
    quarters = pd.read_csv(built / "data/raw/france_travail/2025/"
                           "demandeurs_emploi_departements_2025.csv", sep=";")
    assert departement["de_abc"] == quarters["Catégories ABC"].mean()
    indicateurs = _table(built, "out_indicateurs")
    assert {"zone_emploi", "clpe"} <= set(indicateurs["niveau"])


def test_asp_figures_and_reconciliation_in_the_controls(built):
    figures = _table(built, "core_asp")
    structures = _table(built, "core_structures")
    assert len(figures) >= 40
    assert set(zip(figures["siret"], figures["type_siae"], strict=True)) <= \
        set(zip(structures["siret"], structures["type_siae"], strict=True))
    assert (figures["etp_realises"] > 0).all() and (figures["salaries_annee"] > 0).all()
    assert figures["sorties"].sum() > 0 and figures["sorties_retraits"].sum() > 0
    total = figures[["sorties_durables", "sorties_transition", "sorties_positives",
                     "sorties_autres", "sorties_retraits"]].sum(axis=1)
    assert (total == figures["sorties"]).all()
    bilan = _table(built, "core_asp_bilan")
    assert len(bilan) == len(figures)
    with (built / "reports/2025/controles/anomalies.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    rules = {r["regle"] for r in rows}
    assert {"rapprochement.etp_realises", "rapprochement.salaries_annee"} <= rules
    assert "cog.commune_inconnue" in rules


def _personal_values(project: Path) -> set[str]:
    """NIR, names, birth dates and addresses written in the demo's FluxIAE files."""
    values: set[str] = set()
    for path in (project / "data/raw/asp/2025").glob("fluxIAE_*.csv"):
        lines = path.read_text("utf-8-sig").splitlines()
        header = [normalise_header(h) for h in lines[1].split("|")]
        personal = [i for i, h in enumerate(header) if any(
            w in h for w in ("nir", "nom_usage", "nom_naissance", "prenom", "date_naissance",
                             "libelle_voie", "mail_corresp", "nom_corresp", "contrat_adr"))]
        for line in lines[2:-1]:
            fields = line.split("|")
            values.update(fields[i] for i in personal if i < len(fields) and fields[i])
    return values


def _texts(project: Path) -> list[tuple[str, str]]:
    texts = []
    for path in sorted((project / "data/processed").rglob("*.parquet")):
        frame = pd.read_parquet(path)
        # the distinct values of every column that can hold text or an identifier (a float
        # cannot hold a NIR or a name as written)
        values = {str(v) for column in frame.columns
                  if not pd.api.types.is_float_dtype(frame[column])
                  for v in frame[column].dropna().unique()}
        texts.append((path.name, "\n".join(sorted(values))))
    for path in sorted((project / "reports").rglob("*")):
        if path.suffix in (".xlsx", ".ods"):
            with zipfile.ZipFile(path) as archive:
                texts.append((path.name, "\n".join(archive.read(n).decode("utf-8", "replace")
                                                   for n in archive.namelist())))
        elif path.is_file() and path.suffix != ".pdf":
            texts.append((path.name, path.read_text("utf-8", errors="replace")))
    texts.append(("run.log", (project / "run.log").read_text("utf-8")))
    for path in sorted((project / "data/processed").rglob("*.json")):
        texts.append((path.name, path.read_text("utf-8")))
    return texts


_NUMERIC = re.compile(r"[0-9/-]+")


def _found(secrets: set[str], text: str) -> set[str]:
    """The ``secrets`` that occur in ``text``: ``{v for v in secrets if v in text}``, without
    scanning the text once per secret. A NIR or a date lies inside a run of digits, slashes
    and dashes; a fictitious name or mail contains « fictif »; the few others are looked for
    one by one."""
    numeric = {v for v in secrets if _NUMERIC.fullmatch(v)}
    lengths = {len(v) for v in numeric}
    found = set()
    for run in {m for m in _NUMERIC.findall(text) if len(m) >= min(lengths, default=1)}:
        found.update(run[i:i + n] for n in lengths for i in range(len(run) - n + 1)
                     if run[i:i + n] in numeric)
    named = {v for v in secrets - numeric if "fictif" in v}
    windows = [m.start() for m in re.finditer("fictif", text)]
    for v in named:
        offset = v.index("fictif")
        found.update(v for start in windows
                     if text[start - offset:start - offset + len(v)] == v)
    return found | {v for v in secrets - numeric - named if v in text}


def test_the_secret_search_finds_what_a_naive_search_finds():
    secrets = {"185037512345678", "1985-03-12", "12/03/1985", "Dupontfictif",
               "velfictif@exemple.invalid", "12 rue des Lilas", "1234", "9999"}
    text = ("x1185037512345678 a;1985-03-12/7 M. Dupontfictifs velfictif@exemple.invalid "
            "12 rue des Lilas 5123 fictif 99")
    expected = secrets - {"9999", "12/03/1985"}
    assert _found(secrets, text) == {v for v in secrets if v in text} == expected
    assert _found(secrets, "Dupont 12/03/198 fictif") == set()


def test_no_nir_name_or_address_survives_in_any_output_or_log(built):
    secrets = _personal_values(built)
    nirs = {v for v in secrets if v.isdigit() and len(v) == 15}
    assert len(nirs) > 500 and any(v.endswith("fictif") for v in secrets)
    for line in (built / "run.log").read_text("utf-8").splitlines():
        json.loads(line)
    for name, text in _texts(built):
        found = sorted(_found(secrets, text))
        assert not found, (name, found[:5])


def test_sources_command_lists_adapters_expectations_and_files(built):
    result = cli(["--project-dir", str(built), "--json", "sources"])
    assert result.returncode == 0, result.stderr
    entries = {e["adaptateur"]: e for e in json.loads(result.stdout)["adaptateurs"]}
    assert entries["asp_etats_mensuels"]["fichiers_trouves"] == [
        "fluxIAE_EtatMensuelIndiv_05012026_061500.csv.gz"]
    assert entries["insee_population"]["colonnes"]["population"] == "P22_POP"
    assert entries["caf_epci"]["fichiers_trouves"] == []
    assert entries["insee_chomage"]["colonnes"]["taux_t4"] == "2025-T4"
    text = cli(["--project-dir", str(built), "sources"]).stdout
    assert "Dossier : data/raw/frr/2025/" in text and "aucun fichier" in text


def test_structures_from_the_emplois_api_are_added_without_non_siae(built):
    listed = _table(built, "raw_structures")
    page = json.loads(next((built / "data/raw/structures/2025").glob("*.json")).read_text())
    kinds = {r["siret"]: r["type"] for r in page["results"]}
    new = [s for s, k in kinds.items() if k == "EITI" and s.startswith("9")]
    assert new and set(new) <= set(listed["siret"])
    assert not set(s for s, k in kinds.items() if k == "GEIQ") & set(listed["siret"])
    text = io.StringIO()
    listed.to_csv(text)
    assert "courriel" not in text.getvalue() and "0100000000" not in text.getvalue()


def test_fluxiae_figures_agree_with_the_bilan_of_the_same_demo(built):
    """The generator writes the bilan from its own counts: the FluxIAE rules must find them."""
    both = _table(built, "core_asp").merge(_table(built, "core_asp_bilan"),
                                           on=["siret", "type_siae"], suffixes=("", "_bilan"))
    assert len(both) >= 40
    for column in ("salaries_annee", "femmes", "hommes", "age_moins_26", "age_50_plus", "brsa",
                   "rqth", "deld", "detld", "residents_qpv", "residents_frr",
                   "sorties_durables", "sorties_transition", "sorties_positives"):
        assert (both[column] == both[f"{column}_bilan"]).all(), column
    assert (both["sorties"] - both["sorties_retraits"] == both["sorties_bilan"]).all()
