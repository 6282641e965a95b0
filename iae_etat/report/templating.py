"""The Jinja environment: project templates first, the shipped ones as fallback and ``default:``."""

from __future__ import annotations

from pathlib import Path

from iae_etat.common import resources
from iae_etat.tables.formats import nombre, pourcentage


def environment(project_dir: Path | None):
    """A sandboxed, autoescaping environment; ``default:NAME`` always names the shipped file."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    shipped = FileSystemLoader(str(resources.packaged_dir("templates")))
    folders = [str(p) for p in resources.search_path("templates", project_dir)]
    loader = ChoiceLoader([PrefixLoader({"default": shipped}, delimiter=":"),
                           FileSystemLoader(folders)])
    env = SandboxedEnvironment(loader=loader, autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["nombre"] = nombre
    env.filters["pourcentage"] = pourcentage
    return env


def inline_css(text: str):
    """A style sheet to put inside ``<style>`` as is (quotes kept), unable to close the element.

    Autoescaping would turn ``"`` into ``&#34;``, which CSS does not decode inside ``<style>``.
    """
    from markupsafe import Markup

    return Markup(text.replace("</", "<\\/"))
