"""``iae-etat telecharger`` against a local HTTP server serving fixture exports (no Internet)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.common.errors import IaeEtatError
from iae_etat.sources import download
from tests.conftest import cli
from tests.sources.test_long_format import CAF_FIELDS, DARES_LABELS, dares_rows

DARES = DARES_LABELS + dares_rows("2024-T4", "26", "26362", 95, 45, 50, 10, 50, 35) \
    + dares_rows("2024-T4", "26", "26001", 35, 15, 20, 5, 20, 10) \
    + dares_rows("2024-T4", "", "Total", 2_500_000, 1_200_000, 1_300_000, 1, 1, 1)
CAF = CAF_FIELDS + ("2024-12-01;26362;VALENCE;RSA non majoré;2100;4300\n"
                    "2024-12-01;26362;VALENCE;RSA majoré;310;950\n"
                    "2024-12-01;26001;SOLAURE EN DIOIS;RSA non majoré;10;20\n")
EXPORTS = {"dares_defm_communales-brutes": DARES.encode(), "rsa_s_type_com_f": CAF.encode()}


class Portal(BaseHTTPRequestHandler):
    """Serves an export per dataset of the path; honours ``Range`` (resumed downloads)."""

    requests: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        dataset = next((d for d in EXPORTS if f"/datasets/{d}/" in self.path), None)
        Portal.requests.append((self.path, self.headers.get("Range", "")))
        if dataset is None:
            self.send_error(404)
            return
        body = EXPORTS[dataset]
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes="):
            start = int(wanted[6:].rstrip("-"))
            self.send_response(206)
            body = body[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Portal.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def new_project(tmp_path: Path) -> Path:
    (tmp_path / "iae-etat.toml").write_text('[projet]\nnom = "Essai"\ndepartements = ["26"]\n',
                                           "utf-8")
    return tmp_path


def test_telecharger_fills_a_new_project_then_builds_its_needs(tmp_path, portal):
    project = new_project(tmp_path)
    result = cli(["--project-dir", str(project), "--millesime", "2024", "telecharger",
                  "--depuis", portal])
    assert result.returncode == 0, result.stderr
    dares = project / "data/raw/france_travail/2024/dares_defm_communales-brutes_26.csv"
    caf = project / "data/raw/caf/2024/rsa_s_type_com_f_26.csv"
    assert dares.read_bytes() == EXPORTS["dares_defm_communales-brutes"]
    assert caf.read_bytes() == EXPORTS["rsa_s_type_com_f"]
    assert any("where=code_departement%3D%2226%22" in path for path, _ in Portal.requests)
    manifest = json.loads((dares.parent / ".telechargements.json").read_text("utf-8"))
    entry = manifest[dares.name]
    assert entry["url"].startswith(portal) and len(entry["sha256"]) == 64
    assert entry["date"].endswith("Z")
    assert "téléchargé" in result.stdout
    # a second run fetches nothing again
    again = cli(["--project-dir", str(project), "--millesime", "2024", "telecharger",
                 "--depuis", portal])
    assert again.returncode == 0 and "déjà téléchargé, inchangé" in again.stdout
    built = cli(["--project-dir", str(project), "--millesime", "2024", "ingest"])
    processed = project / "data/processed/2024"
    anomalies = pd.read_parquet(processed / "core_anomalies.parquet")
    assert not (anomalies["gravite"] == "erreur").any(), anomalies["message"].tolist()
    assert built.returncode == 0, built.stderr
    levels = pd.read_parquet(processed / "core_besoins_territoires.parquet")
    departement = levels[levels["niveau"] == "departement"].iloc[0]
    assert departement["de_abc"] == 95 + 35  # the file's own: the Total row is not counted
    assert departement["foyers_rsa"] == 2100 + 310 + 10
    sources = pd.read_parquet(processed / "core_sources.parquet").set_index("adaptateur")
    assert sources.at["france_travail_dares", "url"] == entry["url"]
    assert sources.at["france_travail_dares", "arrondi"].startswith("au multiple de 5")


def test_a_file_the_user_placed_is_never_overwritten(tmp_path, portal):
    project = new_project(tmp_path)
    mine = project / "data/raw/caf/2024/rsa_s_type_com_f_26.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text("mon fichier", "utf-8")
    item = next(i for i in download.plan(_projet(project), 2024, portal) if i.cible == mine)
    assert download.fetch(item, 5) == "conserve"
    assert mine.read_text("utf-8") == "mon fichier"


def _projet(project: Path):
    from iae_etat.project.config import load_projet

    return load_projet(project)


def test_an_interrupted_download_resumes_with_a_range(tmp_path, portal):
    project = _projet(new_project(tmp_path))
    item = next(i for i in download.plan(project, 2024, portal) if "dares" in i.adaptateur)
    partial = item.cible.with_name(item.cible.name + ".part")
    partial.parent.mkdir(parents=True)
    head = EXPORTS["dares_defm_communales-brutes"][:100]
    partial.write_bytes(head)
    seen = []
    assert download.fetch(item, 5, lambda done, total: seen.append((done, total))) == \
        "telecharge"
    assert item.cible.read_bytes() == EXPORTS["dares_defm_communales-brutes"]
    assert Portal.requests[-1][1] == "bytes=100-"
    size = len(EXPORTS["dares_defm_communales-brutes"])
    assert seen[-1] == (size, size) and not partial.exists()


def test_offline_is_a_clear_french_message(tmp_path):
    project = _projet(new_project(tmp_path))
    # nothing listens on port 9 of the loopback: the connection is refused at once
    item = download.plan(project, 2024, "http://127.0.0.1:9")[0]
    with pytest.raises(IaeEtatError) as caught:
        download.fetch(item, 2)
    assert "Pas de connexion à Internet" in caught.value.message
    assert "reprend où il s'est arrêté" in caught.value.conseil
    assert not item.cible.exists()
