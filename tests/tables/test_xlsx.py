"""The zip writer of the questionnaire campaign: members deflated once, copied byte for byte."""

from __future__ import annotations

import io
import zipfile

from iae_etat.tables.xlsx import deflate_part, zip_deflated, zip_parts

PARTS = {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<row>1</row>" * 500,
         "vide.xml": b"", "xl/m\u00e9dia/\u00e9t\u00e9.xml": "<t>été</t>".encode()}


def test_deflated_members_give_the_bytes_of_zip_parts():
    # same local headers, central directory, dates and deflate stream as zipfile writes
    assert zip_deflated(deflate_part(n, d) for n, d in PARTS.items()) == zip_parts(PARTS)


def test_a_member_deflated_once_is_reused_and_the_archive_checks():
    shared = deflate_part("xl/styles.xml", b"<styleSheet/>" * 100)
    first = zip_deflated([shared, deflate_part("a.xml", b"<a>1</a>")])
    second = zip_deflated([shared, deflate_part("a.xml", b"<a>2</a>")])
    for data, a in ((first, b"<a>1</a>"), (second, b"<a>2</a>")):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None                       # every CRC right
            assert archive.namelist() == ["xl/styles.xml", "a.xml"]
            assert archive.read("a.xml") == a
            assert archive.read("xl/styles.xml") == b"<styleSheet/>" * 100
            assert archive.getinfo("a.xml").date_time == (1980, 1, 1, 0, 0, 0)
    # the shared member's deflated bytes appear as they are in both archives
    assert shared.body in first and shared.body in second
    assert len(shared.body) < shared.size == 13 * 100
