"""Shared fixtures: the repository, a mini project, the public data of ../shared."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: CI and a user's `make test` agree.
settings.register_profile("iae_etat", derandomize=True)
settings.load_profile("iae_etat")

ROOT = Path(__file__).resolve().parent.parent
SHARED_PUBLIC = ROOT.parent / "shared" / "data" / "public"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules holding a slow test run first: ``--dist loadscope`` hands the modules to
    the workers in this order, and a long one handed out last would leave a worker alone."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: the modules stay whole


def copy_project(target: Path) -> Path:
    """A copy of the demo project (configuration, raw data, scenarios) in ``target``; its
    builds write no PDF (``[rapport] pdf = false``: the PDF tests ask for it)."""
    config = (ROOT / "iae-etat.toml").read_text("utf-8")
    (target / "iae-etat.toml").write_text(config.replace("\npdf = true\n", "\npdf = false\n"),
                                          "utf-8")
    shutil.copytree(ROOT / "data" / "raw", target / "data" / "raw")
    shutil.copytree(ROOT / "scenarios", target / "scenarios")
    return target


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A fresh copy of the demo project."""
    return copy_project(tmp_path)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory) -> Path:
    """The demo project built once for the whole session (read-only for tests)."""
    project = copy_project(tmp_path_factory.mktemp("demo"))
    result = cli(["--project-dir", str(project), "build"])
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture
def built_project(built_demo: Path, tmp_path: Path) -> Path:
    """A copy of ``built_demo`` with its outputs, state and cache (a copy is up to date): for
    the tests whose first build only sets the scene."""
    return Path(shutil.copytree(built_demo, tmp_path / "projet"))


@pytest.fixture
def shared_public() -> Path:
    """The real public files of ../shared; the test is skipped when they are absent."""
    if not SHARED_PUBLIC.is_dir():
        pytest.skip("../shared/data/public absent")
    return SHARED_PUBLIC


def cli(args: list[str], cwd: Path | None = None, env: dict | None = None):
    """Run the real entry point (``python -m iae_etat``) in a subprocess."""
    return subprocess.run([sys.executable, "-m", "iae_etat", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, env=env, timeout=600)
