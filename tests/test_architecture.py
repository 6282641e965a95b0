"""The layout of the package: layers declared in pyproject.toml and enforced, no hidden imports."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "iae_etat"
HEAVY = {"pandas", "numpy", "pyarrow", "pandera", "matplotlib", "openpyxl", "weasyprint",
         "python_calamine", "jinja2", "babel", "yaml", "scipy"}
MAX_LINES = 400
# Modules still over the limit, each to be split by the issue that reworks it.
OVERSIZED = {"report/tableau_de_bord.py"}


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, check=False)


@pytest.mark.slow
def test_the_declared_layers_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_a_forbidden_import_breaks_the_layers(tmp_path):
    """The sources must not import the report: a copy of the package that does fails the lint."""
    shutil.copytree(PACKAGE, tmp_path / "iae_etat", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    adapters = tmp_path / "iae_etat" / "sources" / "adapters.py"
    adapters.write_text(adapters.read_text() + "\nfrom iae_etat.report import stage  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "iae_etat.sources.adapters -> iae_etat.report.stage" in result.stdout


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    candidate = ROOT.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


@cache
def _loads_heavy(name: str) -> bool:
    """True when importing ``name`` (a module of the package) imports a heavy library."""
    path = _module_path(name)
    if path is None:
        return False
    for node in ast.parse(path.read_text("utf-8")).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for imported in names:
            if imported.split(".")[0] in HEAVY:
                return True
            if imported.startswith("iae_etat.") and imported != name and _loads_heavy(imported):
                return True
    return False


def _function_level_imports(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iae_etat"):
                    yield node.lineno, node.module, [a.name for a in node.names]


def test_function_level_imports_only_defer_a_heavy_library():
    """An import of the package inside a function is allowed only to keep a heavy library out of
    the way (``iae-etat --help`` answers without pandas); never to hide an import cycle."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, module, names in _function_level_imports(path):
            targets = [f"{module}.{n}" if _module_path(f"{module}.{n}") else module
                       for n in names]
            if not any(_loads_heavy(t) for t in targets):
                offenders.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert offenders == []


def test_the_package_root_holds_only_entry_points():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_no_module_is_over_400_lines_outside_the_demo():
    long = [f"{p.relative_to(ROOT)} ({n})" for p in sorted(PACKAGE.rglob("*.py"))
            if "demo" not in p.parts and p.relative_to(PACKAGE).as_posix() not in OVERSIZED
            and (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES]
    assert long == []


def test_tests_mirror_the_package():
    """Each test folder is named after a package of iae_etat."""
    folders = {p.name for p in (ROOT / "tests").iterdir()
               if p.is_dir() and p.name not in ("golden", "__pycache__", "fixtures")}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders <= packages, folders - packages
