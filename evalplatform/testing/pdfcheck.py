"""Read a rendered PDF back the way a reviewer would: its pages, its text, its fonts.

Test support for the bulletin and the reports (with the suite's fixtures, apart from the runtime modules).
``page_texts`` is what ``pdftotext`` (poppler) reads, one string per page; ``flat`` and
``in_order`` compare Chinese text, whose lines wrap anywhere. ``missing_glyphs`` proves
that every character the document shows is drawn by a real glyph of an embedded font,
not by the ``.notdef`` "tofu" box.

What WeasyPrint (70, with Pango) does with a character that no installed font covers:
Pango gives it to a font of the fallback list with ``PANGO_GLYPH_UNKNOWN_FLAG``; WeasyPrint
logs ".notdef glyph rendered for Unicode string unsupported by fonts", shows it with a code
past the font's last glyph (``glyph_count + n``, capped at ``0xFFFF``), maps that code to
the character in the ToUnicode CMap, and gives the font an embedded Encoding CMap
(``WP-Encod-0``) that sends the code to CID 0, which viewers draw as ``.notdef`` (Noto Sans
CJK's is a crossed box). No hex box is drawn. Noto Sans CJK has 65,535 glyphs, so every
missing character of such a font gets the same code 0xFFFF and the ToUnicode names only the
first of them; ``pdftotext`` then reads that character in place of all the others.

pypdf (a test dependency) reads the PDF, fontTools (which comes with WeasyPrint) reads the
embedded font programs; both are imported inside the functions that need them.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# --------------------------------------------------------------------------- poppler


@contextmanager
def _pdf_file(pdf: bytes) -> Iterator[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        yield file.name


def _poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True).stdout.decode("utf-8")


def page_count(pdf: bytes) -> int:
    """The number of pages (read by pypdf, independently of poppler)."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def page_size_mm(pdf: bytes) -> tuple[int, int]:
    """The first page's width and height in whole millimetres (read by pypdf)."""
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)


def page_texts(pdf: bytes, layout: bool = False) -> list[str]:
    """The text of each page as ``pdftotext`` reads it (``-layout`` or ``-raw``)."""
    mode = "-layout" if layout else "-raw"
    with _pdf_file(pdf) as path:
        # pdftotext ends every page, empty or not, with a form feed: one run for all pages.
        pages = _poppler("pdftotext", "-q", "-enc", "UTF-8", mode, path, "-").split("\f")
        if pages and pages[-1] == "":
            pages.pop()
        count = page_count(pdf)
        if len(pages) != count:  # a page's own text held a form feed: read page by page
            pages = [_poppler("pdftotext", "-q", "-enc", "UTF-8", mode, "-f", str(number),
                              "-l", str(number), path, "-").removesuffix("\f")
                     for number in range(1, count + 1)]
    return pages


def flat(text: str) -> str:
    """The text without any whitespace (Chinese lines wrap anywhere, even inside words)."""
    return "".join(text.split())


def in_order(text: str, *needles: str) -> bool:
    """Whether the needles appear in this order, without overlapping, in ``flat(text)``."""
    haystack, position = flat(text), 0
    for needle in needles:
        found = haystack.find(flat(needle), position)
        if found < 0:
            return False
        position = found + len(flat(needle))
    return True


def fonts(pdf: bytes) -> list[dict]:
    """The fonts ``pdffonts`` lists: name, type, encoding, embedded, subset, unicode, object."""
    with _pdf_file(pdf) as path:
        lines = _poppler("pdffonts", path).splitlines()
    # Columns are fixed-width (names and types hold spaces): cut them where the dashes are.
    spans = [match.span() for match in re.finditer(r"-+", lines[1])]
    keys = ("name", "type", "encoding", "embedded", "subset", "unicode", "object")
    result = []
    for line in lines[2:]:
        cells = [line[start:end + 1].strip() for start, end in spans]
        cells[-1] = " ".join(line[spans[-1][0]:].split())
        row = dict(zip(keys, cells, strict=True))
        for key in ("embedded", "subset", "unicode"):
            row[key] = row[key] == "yes"
        result.append(row)
    return result


# --------------------------------------------------------------------------- glyphs


def missing_glyphs(pdf: bytes) -> dict[str, set[str]]:
    """Characters shown without a real glyph, by font name (``BaseFont``); empty if none.

    The characters checked are those the fonts of the pages' resources map in their ToUnicode
    CMap: WeasyPrint maps there every glyph that it shows, and gives form XObjects and patterns
    the same fonts. A character is reported when its glyph is ``.notdef`` (CID 0, which the
    Encoding CMap gives the codes it does not list), is past the end of the embedded font
    program, or draws nothing although it is not a space or a format character. Fonts that
    prove nothing have all their characters reported: those not embedded, and kinds WeasyPrint
    does not write (simple and Type 3 fonts; Type0 fonts with a predefined CMap but Identity, a
    CIDToGIDMap stream or a bare CFF program). A ToUnicode entry without text is named
    ``<code in hex>``.
    """
    from pypdf import PdfReader

    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = font.get_object()
            fonts[getattr(font, "indirect_reference", None) or id(font)] = font
    missing: dict[str, set[str]] = {}
    for font in fonts.values():
        characters = _check_font(font)
        if characters:
            missing.setdefault(str(font.get("/BaseFont", "/[none]"))[1:], set()).update(characters)
    return missing


def assert_all_glyphs_rendered(pdf: bytes) -> None:
    """Fail, naming the characters and fonts, if any character is drawn as ``.notdef``."""
    missing = missing_glyphs(pdf)
    if missing:
        lines = [f"  {font}: " + ", ".join(f"{char!r} ({_codepoints(char)})" for char in sorted(chars))
                 for font, chars in sorted(missing.items())]
        raise AssertionError(
            "characters drawn without a glyph (.notdef boxes) in the PDF:\n" + "\n".join(lines)
            + "\n(WeasyPrint gives all missing characters of a 65,535-glyph font such as Noto Sans"
            " CJK one code, so only the first is named; its log warns of every one)")


def _codepoints(text: str) -> str:
    if text.startswith("<") and text.endswith(">"):
        return "unmapped code"
    return " ".join(f"U+{ord(char):04X}" for char in text)


def _check_font(font) -> set[str]:
    from pypdf._cmap import get_encoding  # pypdf's ToUnicode reader: private (pypdf 5.4 to 7.1)

    # Its keys are the codes decoded as Latin-1 (1 byte) or UTF-16BE (2 bytes): one character.
    to_unicode = {ord(code): text for code, text in get_encoding(font)[1].items()
                  if isinstance(code, str) and len(code) == 1}
    codes = set(to_unicode)
    cid_of = _cid_encoding(font.get("/Encoding")) if font.get("/Subtype") == "/Type0" else None
    drawn = _glyph_reader(font["/DescendantFonts"][0].get_object()) if cid_of else None
    if drawn is not None:  # else nothing proves that these characters are drawn
        codes = {code for code in codes if (draws := drawn(cid_of(code))) is None
                 or not draws and not _is_blank(to_unicode[code])}
    return {to_unicode[code] or f"<{code:04x}>" for code in codes}


def _is_blank(text: str) -> bool:
    """Text an empty glyph may rightly show: spaces, controls, format characters."""
    return all(unicodedata.category(char)[0] == "Z" or unicodedata.category(char) in ("Cc", "Cf")
               for char in text)


def _cid_encoding(encoding) -> Callable[[int], int] | None:
    """A Type0 font's code -> CID: Identity-H, or WeasyPrint's embedded CMap of ``cidchar``
    entries (codes it does not list are CID 0); None for other CMaps."""
    if encoding in ("/Identity-H", "/Identity-V"):
        return lambda code: code
    if not hasattr(encoding, "get_data"):
        return None
    cids = {int(code, 16): int(cid)
            for section in re.findall(rb"begincidchar(.*?)endcidchar", encoding.get_data(), re.DOTALL)
            for code, cid in re.findall(rb"<([0-9A-Fa-f]+)>\s*(\d+)", section)}
    return lambda code: cids.get(code, 0)


def _glyph_reader(descendant) -> Callable[[int], bool | None] | None:
    """CID -> whether its glyph draws (None: no glyph but ``.notdef``), for an embedded TrueType
    or OpenType program; None for others. CIDs are glyph ids, or name glyphs of a CID-keyed CFF.

    fontTools reads lazily: only the glyphs asked for are decompiled. The charset and the
    charstring index of the 65,535 glyph ids that WeasyPrint keeps in a Noto Sans CJK subset
    (HarfBuzz's retain-gids) still take it some 0.05 s a font.
    """
    from fontTools.ttLib import TTFont

    descriptor = descendant["/FontDescriptor"]
    stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
    if stream is None or stream.get("/Subtype") not in (None, "/OpenType") \
            or descendant.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    font = TTFont(io.BytesIO(stream.get_data()), lazy=True)
    if "CFF " not in font:
        loca = font["loca"]  # a glyph without outline data is empty
        return lambda gid: loca[gid] < loca[gid + 1] if 0 < gid < len(loca) - 1 else None
    top = font["CFF "].cff.topDictIndex[0]
    charstrings, charset = top.CharStrings, top.charset
    cid_keyed = hasattr(top, "ROS") and descendant.get("/Subtype") == "/CIDFontType0"

    def drawn(cid: int) -> bool | None:
        name = f"cid{cid:05d}" if cid_keyed else charset[cid] if cid < len(charset) else None
        return _draws(charstrings, name) if cid and name in charstrings else None

    return drawn


def _draws(charstrings, name: str) -> bool:
    """Whether a Type 2 charstring draws. Its first operator tells, unless it is a hint or a
    subroutine call: a moveto draws, an ``endchar`` with a width at most does not (4 operands
    make an accented glyph). Else the outline is measured, which takes longer."""
    from fontTools.pens.boundsPen import ControlBoundsPen

    charstring, index, operands = charstrings[name], 0, 0
    while True:
        item, is_operator, index = charstring.getToken(index)
        if is_operator or item is None:
            break
        operands += 1
    if item in ("rmoveto", "hmoveto", "vmoveto", "endchar", None):
        return item not in ("endchar", None) or operands >= 4
    pen = ControlBoundsPen(charstrings)
    charstring.draw(pen)
    return pen.bounds is not None
