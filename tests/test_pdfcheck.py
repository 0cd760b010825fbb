"""evalplatform.testing.pdfcheck: pages, text, fonts and glyph coverage of PDFs read back."""

from __future__ import annotations

import io
import logging
import re
import subprocess

import pytest

from evalplatform.reports.pdf import render_pdf
from evalplatform.testing import pdfcheck

PUNCTUATION = "，。：；“”（）〔〕—–·、▲▼"
UNCOVERED = "\u0f40\u0f41\u1200\ue000"  # Tibetan KA KHA, Ethiopic HA, a Private Use character


def html(body: str, style: str = "") -> str:
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<link rel="stylesheet" href="pdf.css"><style>{style}</style></head>'
            f"<body>{body}</body></html>")


BULLETIN = html(
    "<h1>2026年度市直机关作风建设满意度测评结果公报</h1>"
    f"<p>一、基本情况：本次测评共收到有效问卷1,234份，综合满意率为98.7%。标点{PUNCTUATION}</p>"
    "<p>Unit ABC-123 得分 95.50 ▲2.3，排名 1/12 ▼</p>"
    '<h2 style="page-break-before: always">二、各单位得分</h2>'
    "<table><tr><th>单位</th><th>得分</th></tr><tr><td>市住房和城乡建设局</td><td>96.25</td></tr></table>"
    '<h2 style="page-break-before: always">三、意见建议</h2>'
    "<p>群众反映“办事难、办事慢”的问题已整改（见〔2026〕3号文）。</p>")


@pytest.fixture(scope="module")
def bulletin() -> bytes:
    return render_pdf(BULLETIN)


def test_page_count_matches_pdfinfo(bulletin, tmp_path):
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(bulletin)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert pdfcheck.page_count(bulletin) == int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == 3


def test_page_texts_are_per_page_and_in_order(bulletin):
    pages = pdfcheck.page_texts(bulletin)
    assert len(pages) == 3
    assert pdfcheck.in_order(pages[0], "2026年度市直机关作风建设", "一、基本情况", "1,234份",
                             "98.7%", PUNCTUATION, "Unit ABC-123", "▲2.3", "第 1 页 共 3 页")
    assert pdfcheck.in_order(pages[1], "二、各单位得分", "市住房和城乡建设局", "96.25", "第2页共3页")
    assert pdfcheck.in_order(pages[2], "三、意见建议", "“办事难、办事慢”", "〔2026〕3号文")
    assert "二、各单位得分" not in pdfcheck.flat(pages[0])
    layout = pdfcheck.page_texts(bulletin, layout=True)
    assert len(layout) == 3 and pdfcheck.in_order(layout[1], "单位", "得分", "市住房和城乡建设局", "96.25")


def test_flat_and_in_order():
    assert pdfcheck.flat(" 市住房\n和城乡\u3000建设局\t ") == "市住房和城乡建设局"
    assert pdfcheck.in_order("甲 乙\n丙", "甲", "乙丙")
    assert pdfcheck.in_order("甲乙丙", "乙", "丙") and not pdfcheck.in_order("甲乙丙", "丙", "乙")
    assert not pdfcheck.in_order("甲乙", "乙", "乙")  # needles do not overlap


def test_fonts_are_embedded_cjk_subsets(bulletin):
    fonts = pdfcheck.fonts(bulletin)
    assert fonts and all(font["embedded"] and font["subset"] and font["unicode"] for font in fonts)
    assert {re.sub(r"^[A-Z]{6}\+", "", font["name"]) for font in fonts} == {
        "Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
    assert all(font["type"] == "CID Type 0C (OT)" for font in fonts)


def test_chinese_text_punctuation_and_ascii_have_glyphs(bulletin):
    assert pdfcheck.missing_glyphs(bulletin) == {}
    pdfcheck.assert_all_glyphs_rendered(bulletin)


def test_uncovered_characters_are_reported(caplog):
    """Pango finds no font for them; WeasyPrint shows .notdef (CID 0) and warns."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(html(f"<p>测评{UNCOVERED}结果，满意率98%。</p>"))
    warned = "".join(record.getMessage() for record in caplog.records)
    assert all(f"U+{ord(char):04X}" in warned for char in UNCOVERED)
    missing = pdfcheck.missing_glyphs(pdf)
    # Noto Sans CJK has 65,535 glyphs: WeasyPrint gives every missing character the code
    # 0xFFFF, and the ToUnicode map names the first of them only.
    assert len(missing) == 1 and "Noto-Sans-CJK-SC" in next(iter(missing))
    assert UNCOVERED[0] in next(iter(missing.values())) <= set(UNCOVERED)
    with pytest.raises(AssertionError, match="U\\+0F40") as error:
        pdfcheck.assert_all_glyphs_rendered(pdf)
    assert next(iter(missing)) in str(error.value)


def test_each_uncovered_character_is_named_with_a_smaller_font():
    if not subprocess.run(["fc-list", "DejaVu Sans"], capture_output=True, text=True).stdout:
        pytest.skip("DejaVu Sans is not installed")
    pdf = render_pdf(html(f"<p>Score {UNCOVERED} 42</p>", "p { font-family: 'DejaVu Sans' }"))
    assert pdfcheck.missing_glyphs(pdf) == {next(iter(pdfcheck.missing_glyphs(pdf))): set(UNCOVERED)}
    assert "".join(pdfcheck.page_texts(pdf)).split()[1] == UNCOVERED


# Type0 fonts as WeasyPrint writes them, built by hand: empty glyphs, codes that the Encoding
# CMap sends to CID 0 or past the font's last glyph, a font that is not embedded.


def tiny_font(cff: bool) -> bytes:
    """Glyphs .notdef, space, A (a triangle), B (it lost its outline; in CFF its hints stay) and
    C (a triangle; in CFF with hints first): TrueType, or OpenType with a name-keyed CFF."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.psCharStrings import T2CharString
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def glyph(*points):
        pen = T2CharStringPen(600, None) if cff else TTGlyphPen(None)
        if points:
            pen.moveTo(points[0])
            for point in points[1:]:
                pen.lineTo(point)
            pen.closePath()
        return pen.getCharString() if cff else pen.glyph()

    triangle = (0, 0), (300, 700), (600, 0)
    glyphs = {".notdef": glyph((50, 0), (50, 700), (550, 700)), "space": glyph(), "A": glyph(*triangle),
              "B": glyph(), "C": glyph(*triangle)}
    if cff:
        glyphs["B"] = T2CharString(program=[0, 700, "hstem", "endchar"])
        glyphs["C"] = T2CharString(program=[0, 700, "hstem", 0, 0, "rmoveto", 300, 700, 300, -700, "rlineto",
                                            "endchar"])
    builder = FontBuilder(1000, isTTF=not cff)
    builder.setupGlyphOrder(list(glyphs))
    builder.setupCharacterMap({0x20: "space", 0x41: "A", 0x42: "B", 0x43: "C"})
    if cff:
        builder.setupCFF("Tiny", {}, glyphs, {})
    else:
        builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (600, 0) for name in glyphs})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def cmap(kind: bytes, entries: list[bytes]) -> bytes:
    return stream(b"begincmap\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n"
                  b"%d begin%s\n%s\nend%s\nendcmap" % (len(entries), kind, b"\n".join(entries), kind))


def to_unicode(texts: dict[int, str]) -> bytes:
    return cmap(b"bfchar", [b"<%04x> <%s>" % (code, text.encode("utf-16-be").hex().encode())
                            for code, text in texts.items()])


def type0_pdf(cff: bool) -> bytes:
    """Font Tiny shows A, a space, B, C; ཀ and an unnamed code that its Encoding CMap (like
    WeasyPrint's WP-Encod-0) sends to CID 0; a code past its last glyph. Plain, which is not
    embedded, shows A."""
    descendant = b"<< /Type /Font /Subtype %s /BaseFont /%s /FontDescriptor %d 0 R /CIDToGIDMap /Identity" \
                 b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>"
    descriptor = b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [0 -200 600 800]" \
                 b" /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 %s >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R /F2 10 0 R >> >> >>",
        stream(b"BT /F1 12 Tf 10 50 Td [<00020001>-20<0003000400050006>] TJ <0009> Tj ET"
               b" BT /F2 12 Tf 10 20 Td <0002> Tj ET"),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Tiny /Encoding 6 0 R /ToUnicode 7 0 R"
        b" /DescendantFonts [8 0 R] >>",
        cmap(b"cidchar", [b"<%04x> %d" % (code, code) for code in (1, 2, 3, 4, 9)]),  # not 5, 6
        to_unicode({1: " ", 2: "A", 3: "B", 4: "C", 5: "\u0f40", 6: "", 9: "\ue000"}),
        descendant % (b"/CIDFontType0" if cff else b"/CIDFontType2", b"Tiny", 9),
        descriptor % (b"Tiny", b"/FontFile3 11 0 R" if cff else b"/FontFile2 11 0 R"),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Plain /Encoding /Identity-H /ToUnicode 12 0 R"
        b" /DescendantFonts [13 0 R] >>",
        stream(tiny_font(cff), b"/Subtype /OpenType" if cff else b""),
        to_unicode({2: "A"}),
        descendant % (b"/CIDFontType2", b"Plain", 14),
        descriptor % (b"Plain", b""),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("cff", [False, True], ids=["TrueType", "CFF"])
def test_empty_glyphs_cid_0_codes_past_the_last_glyph_and_fonts_not_embedded(cff):
    pdf = type0_pdf(cff)
    assert {(font["name"], font["type"], font["embedded"]) for font in pdfcheck.fonts(pdf)} == {
        ("Tiny", "CID Type 0C (OT)" if cff else "CID TrueType", True), ("Plain", "CID TrueType", False)}
    assert pdfcheck.missing_glyphs(pdf) == {"Tiny": {"B", "\u0f40", "<0006>", "\ue000"}, "Plain": {"A"}}
    expected = ("  Plain: 'A' (U+0041)\n  Tiny: '<0006>' (unmapped code), 'B' (U+0042), '\u0f40' (U+0F40),"
                " '\\ue000' (U+E000)\n")
    with pytest.raises(AssertionError, match=re.escape(expected)):
        pdfcheck.assert_all_glyphs_rendered(pdf)
