"""The French help screens load only what they show: no markdown parser, no pretty traceback."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
from iae_etat.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(sorted(name for name in ("markdown_it", "pygments", "rich.markdown", "rich.traceback")
             if name in sys.modules))
"""


def test_help_does_not_import_markdown_nor_pygments():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert "Commandes" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_the_deferred_classes_are_the_real_ones_when_used():
    import rich.markdown
    import rich.traceback

    from iae_etat.cli import _francais

    rich_utils = _francais._rich_utils()
    assert isinstance(rich_utils.Markdown("**gras**"), rich.markdown.Markdown)
    assert rich_utils.Traceback.from_exception == rich.traceback.Traceback.from_exception
    assert sys.modules["rich.markdown"] is rich.markdown     # the stand-in is gone
