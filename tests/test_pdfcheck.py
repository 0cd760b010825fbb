"""evalplatform.pdfcheck: pages, text, fonts and glyph coverage of PDFs read back."""

from __future__ import annotations

import io
import logging
import re
import subprocess

import pytest

from evalplatform import pdfcheck
from evalplatform.reports.pdf import render_pdf

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


def test_hand_read_cff_agrees_with_fonttools(bulletin):
    """The CFF reader behind missing_glyphs (fontTools itself is too slow on 65,535 glyphs)."""
    from fontTools.pens.boundsPen import ControlBoundsPen
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(bulletin))
    font = reader.pages[0]["/Resources"]["/Font"]
    descriptor = next(iter(font.values())).get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    data = descriptor.get_object()["/FontFile3"].get_object().get_data()
    program = pdfcheck._CIDProgram(data, "sfnt", cff_cids=True)
    otf = TTFont(io.BytesIO(data))
    glyphs, order = otf.getGlyphSet(), otf.getGlyphOrder()
    assert program.glyph_count == len(order)
    drawn = 0
    for gid in range(0, len(order), 7):
        name = order[gid]
        pen = ControlBoundsPen(glyphs)
        glyphs[name].draw(pen)
        assert program.is_empty(gid) == (pen.bounds is None), name
        drawn += pen.bounds is not None
        assert program.gid(0 if name == ".notdef" else int(name.removeprefix("cid"))) == gid
    assert drawn > 3


# A simple (not CID) TrueType font, the kind WeasyPrint does not write: built by hand.


def tiny_truetype() -> bytes:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def glyph(*points):
        pen = TTGlyphPen(None)
        if points:
            pen.moveTo(points[0])
            for point in points[1:]:
                pen.lineTo(point)
            pen.closePath()
        return pen.glyph()

    order = [".notdef", "space", "parenleft", "parenright", "A", "B"]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({0x20: "space", 0x28: "parenleft", 0x29: "parenright", 0x41: "A", 0x42: "B"})
    bar = glyph((200, -100), (200, 750), (300, 750), (300, -100))
    builder.setupGlyf({".notdef": glyph((50, 0), (50, 700), (550, 700), (550, 0)), "space": glyph(),
                       "parenleft": bar, "parenright": bar, "A": glyph((0, 0), (300, 700), (600, 0)),
                       "B": glyph()})  # B lost its outline
    builder.setupHorizontalMetrics({name: (600, 0) for name in order})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Tiny", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def raw_pdf(content: bytes, font_program: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /TrueType /BaseFont /Tiny /FirstChar 32 /LastChar 255"
        b" /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [128 /uniE000] >>"
        b" /FontDescriptor 6 0 R >>",
        b"<< /Type /FontDescriptor /FontName /Tiny /Flags 32 /FontBBox [0 -200 600 800]"
        b" /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>",
        b"<< /Length %d /Length1 %d >>\nstream\n%s\nendstream" % (
            len(font_program), len(font_program), font_program),
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


def test_simple_truetype_font_literal_strings_and_empty_glyphs():
    font = tiny_truetype()
    good = raw_pdf(b"BT /F1 12 Tf 10 50 Td (A \\(A\\) (\\101)) Tj [(A) -20 <2041>] TJ ET", font)
    assert pdfcheck.missing_glyphs(good) == {}
    assert pdfcheck.fonts(good)[0] | {"object": ""} == {
        "name": "Tiny", "type": "TrueType", "encoding": "Custom", "embedded": True,
        "subset": False, "unicode": False, "object": ""}
    bad = raw_pdf(b"BT /F1 12 Tf 10 50 Td (A B \\200) Tj ET", font)
    assert pdfcheck.missing_glyphs(bad) == {"Tiny": {"B", "\ue000"}}
    with pytest.raises(AssertionError, match="Tiny: 'B' \\(U\\+0042\\), '\\\\ue000' \\(U\\+E000\\)"):
        pdfcheck.assert_all_glyphs_rendered(bad)
