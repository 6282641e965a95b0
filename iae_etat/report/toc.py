"""The table of contents of the report, built from its rendered ``<h2 id=…>`` headings.

Built after rendering so that every section — including those a project override or a later
template adds — is listed. On paper (WeasyPrint), the print CSS adds each section's page number
(``target-counter``).
"""

from __future__ import annotations

import re
from html import escape, unescape

MARKER = "<!-- sommaire -->"
_HEADING = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def with_toc(html: str) -> str:
    """Replace ``MARKER`` by a ``<nav>`` listing the level-2 headings (no marker: unchanged)."""
    if MARKER not in html:
        return html
    entries = []
    for anchor, content in _HEADING.findall(html):
        text = escape(unescape(_TAG.sub("", content)).strip())
        entries.append(f'  <li><a href="#{escape(anchor)}">{text}</a></li>')
    nav = ('<nav class="sommaire" aria-labelledby="sommaire-titre">\n'
           '<h2 id="sommaire-titre" class="suite">Sommaire</h2>\n<ol>\n'
           + "\n".join(entries) + "\n</ol>\n</nav>")
    return html.replace(MARKER, nav, 1)
