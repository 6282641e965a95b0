"""The editable Word export of the decision document."""

from __future__ import annotations

import io

from iae_etat.report.export_word import html_to_docx

PAGE = """<!DOCTYPE html><html><head><title>T</title><style>p { color: red; }</style></head>
<body><main><h1>État des lieux</h1>
<nav class="sommaire"><h2 id="s">Sommaire</h2><ol><li><a href="#a">Synthèse</a></li></ol></nav>
<h2 id="a">Synthèse</h2>
<ul class="messages"><li>Drôme compte <strong>51</strong> SIAE.</li></ul>
<p class="note">« s » : secret.</p>
<figure class="carte"><div role="img" aria-label="Carte"><svg><text>42</text></svg></div>
<figcaption>Taux d'équipement par EPCI</figcaption></figure>
<aside class="commentaire"><p>Le comité retient <em>la faible part</em> des seniors.</p></aside>
<table><caption>Offre par type</caption>
<thead><tr><th scope="col">Type</th><th scope="col">ETP</th></tr></thead>
<tbody><tr><th scope="row">ACI</th><td class="n">523,1</td></tr>
<tr><th scope="row">AI</th><td class="n">177,8</td></tr></tbody></table>
<footer>Produit par iae-etat.</footer></main></body></html>"""


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _document(data: bytes):
    """(style, text, italic runs) of each body paragraph, and the tables' cell texts."""
    import zipfile
    from xml.etree import ElementTree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        body = ElementTree.fromstring(archive.read("word/document.xml")).find(f"{W}body")
        core = archive.read("docProps/core.xml").decode("utf-8")

    def text(node) -> str:
        return "".join(t.text or "" for t in node.iter(f"{W}t"))

    paragraphs = []
    for p in body.findall(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        italic = [text(r) for r in p.findall(f"{W}r") if r.find(f"{W}rPr/{W}i") is not None]
        paragraphs.append((style.get(f"{W}val") if style is not None else "", text(p), italic))
    tables = [[[text(c) for c in row.findall(f"{W}tc")] for row in t.findall(f"{W}tr")]
              for t in body.findall(f"{W}tbl")]
    headers = [[row.find(f"{W}trPr/{W}tblHeader") is not None for row in t.findall(f"{W}tr")]
               for t in body.findall(f"{W}tbl")]
    return paragraphs, tables, headers, core


def test_blocks_tables_and_commentaries_become_word_paragraphs():
    paragraphs, tables, headers, core = _document(html_to_docx(PAGE, "État des lieux — 2025"))
    blocks = [(style, text) for style, text, _ in paragraphs if text]
    assert blocks[:3] == [("Title", "État des lieux"), ("Heading1", "Synthèse"),
                          ("ListBullet", "• Drôme compte 51 SIAE.")]
    texts = [text for _, text in blocks]
    assert "Sommaire" not in texts and "42" not in " ".join(texts)  # no nav, no drawing
    assert "Produit par iae-etat." not in texts
    assert "Taux d'équipement par EPCI" in texts  # a figure leaves its caption
    comment = next(p for p in paragraphs if p[1].startswith("Le comité"))
    assert comment[2] == ["la faible part"]
    assert ("Caption", "Offre par type") in blocks
    assert tables == [[["Type", "ETP"], ["ACI", "523,1"], ["AI", "177,8"]]]
    assert headers == [[True, False, False]]  # the header row repeats on each page
    assert "<dc:title>État des lieux — 2025</dc:title>" in core


def test_same_html_gives_same_bytes():
    assert html_to_docx(PAGE, "x") == html_to_docx(PAGE, "x")
