"""The non-editable install: the wheel carries the contracts, adapters, templates and data."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_project

pytestmark = pytest.mark.slow


def test_wheel_installs_and_builds_from_another_directory(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    str(next(wheels.glob("iae_etat-*.whl")))], check=True)
    # The dependencies come from the test environment; iae_etat itself only from the wheel.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    Path(site.stdout.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("IAE_ETAT_PROJECT_DIR", "PYTHONPATH")}
    command = str(env_dir / "bin" / "iae-etat")

    where = subprocess.run([str(python), "-c", "import iae_etat; print(iae_etat.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=env, check=True)
    assert str(env_dir) in where.stdout

    init = subprocess.run([command, "init", str(tmp_path / "x"), "--departement", "26"],
                          cwd=elsewhere, capture_output=True, text=True, env=env)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "x" / "iae-etat.toml").is_file()

    project = tmp_path / "clone"
    project.mkdir()
    copy_project(project)
    build = subprocess.run([command, "--project-dir", str(project), "build"], cwd=elsewhere,
                           capture_output=True, text=True, env=env)
    assert build.returncode == 0, build.stderr
    assert (project / "reports" / "2025" / "etat-des-lieux.html").is_file()
    assert (project / "data" / "processed" / "2025" / "out_indicateurs.parquet").is_file()
