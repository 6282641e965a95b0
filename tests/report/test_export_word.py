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


def _document(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))


def test_blocks_tables_and_commentaries_become_word_paragraphs():
    data = html_to_docx(PAGE, "État des lieux — 2025")
    document = _document(data)
    blocks = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert blocks[:3] == [("Title", "État des lieux"), ("Heading 1", "Synthèse"),
                          ("List Bullet", "Drôme compte 51 SIAE.")]
    texts = [text for _, text in blocks]
    assert "Sommaire" not in texts and "42" not in " ".join(texts)  # no nav, no drawing
    assert "Produit par iae-etat." not in texts
    assert "Taux d'équipement par EPCI" in texts  # a figure leaves its caption
    comment = next(p for p in document.paragraphs if p.text.startswith("Le comité"))
    assert [r.text for r in comment.runs if r.italic] == ["la faible part"]
    assert "Offre par type" in texts
    (table,) = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == \
        [["Type", "ETP"], ["ACI", "523,1"], ["AI", "177,8"]]
    assert table.rows[0]._tr.xml.count("tblHeader") == 1  # the header row repeats
    assert document.core_properties.title == "État des lieux — 2025"


def test_same_html_gives_same_bytes():
    assert html_to_docx(PAGE, "x") == html_to_docx(PAGE, "x")
