"""Read a rendered PDF back the way a reviewer would: its pages, its text, its fonts.

Test support for the bulletin and the reports. ``page_texts`` is what ``pdftotext``
(poppler) reads, one string per page; ``flat`` and ``in_order`` compare Chinese text,
whose lines wrap anywhere. ``missing_glyphs`` proves that every character the document
shows is drawn by a real glyph of an embedded font, not by the ``.notdef`` "tofu" box.

What WeasyPrint (70, with Pango) does with a character that no installed font covers:
Pango gives it to a font of the fallback list with ``PANGO_GLYPH_UNKNOWN_FLAG``; WeasyPrint
logs ".notdef glyph rendered for Unicode string unsupported by fonts", shows it with a code
past the font's last glyph (``glyph_count + n``, capped at ``0xFFFF``), maps that code to
the character in the ToUnicode CMap, and gives the font an embedded Encoding CMap
(``WP-Encod-0``) that sends the code to CID 0, which viewers draw as ``.notdef`` (Noto Sans
CJK's is a crossed box). No hex box is drawn. Noto Sans CJK has 65,535 glyphs, so every
missing character of such a font gets the same code 0xFFFF and the ToUnicode names only the
first of them; ``pdftotext`` then reads that character in place of all the others.

pypdf is a test dependency and fontTools comes with WeasyPrint: both are imported inside
the functions that need them.
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

    Every font that page contents, form XObjects, tiling patterns or annotation appearances
    use is checked. The codes checked are those the content streams show with the font and
    those its ToUnicode CMap lists. A code is reported when its glyph is ``.notdef`` (glyph
    id 0: the Encoding CMap sends it to CID 0, or sends it nowhere), is past the end of the
    embedded font program, or is empty although its text is not a space or a format
    character. Fonts whose program is not embedded, or is of a kind not read here (Type 1),
    prove nothing: all their characters are reported. A character is named by the
    ToUnicode CMap, else by its glyph name, else as ``<code in hex>``.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    used: dict[object, tuple[object, set[bytes]]] = {}
    visited: set[object] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        contents = page.get_contents()
        if contents is not None:
            _scan(contents.get_data(), resources, used, visited)
        for annotation in page.get("/Annots") or ():
            appearance = (annotation.get_object().get("/AP") or {}).get("/N")
            if appearance is None:
                continue
            appearance = appearance.get_object()
            streams = [appearance] if hasattr(appearance, "get_data") else \
                [state.get_object() for state in appearance.values()]
            for stream in streams:
                _scan_form(stream, resources, used, visited)
    missing: dict[str, set[str]] = {}
    for font, shown in used.values():
        characters = _check_font(font, shown)
        if characters:
            name = str(font.get("/BaseFont", "/[none]"))[1:]
            missing.setdefault(name, set()).update(characters)
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


def _key(obj) -> object:
    reference = getattr(obj, "indirect_reference", None)
    return (reference.idnum, reference.generation) if reference is not None else id(obj)


# The tokens of a content stream, but for literal strings, which nest and are read by hand.
_TOKEN = re.compile(rb"""
    (?:\s|%[^\r\n]*)+
  | (?P<name>/[^\s/\[\]<>(){}%]*)
  | (?P<dict><<|>>)
  | (?P<hex><[0-9A-Fa-f\s]*>)
  | (?P<open>\[) | (?P<close>\])
  | (?P<literal>\()
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+))
  | (?P<operator>[^\s/\[\]<>(){}%]+|[{}])
""", re.VERBOSE)
_INLINE_IMAGE_END = re.compile(rb"\sEI(?=[\s/\[<(%]|$)")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


class _Name(str):
    """A name operand, as pypdf spells dictionary keys: ``/F1``, with ``#xx`` escapes decoded."""

    def __new__(cls, token: bytes):
        text = re.sub(rb"#([0-9A-Fa-f]{2})", lambda match: bytes.fromhex(match.group(1).decode()), token)
        return super().__new__(cls, text.decode("utf-8", errors="replace"))


def _literal(data: bytes, position: int) -> tuple[bytes, int]:
    """The bytes of the literal string that starts after the ``(`` at ``position``."""
    out, depth, length = bytearray(), 1, len(data)
    while position < length:
        char = data[position]
        position += 1
        if char == 0x5C:  # backslash
            escaped = data[position:position + 1]
            position += 1
            if escaped and escaped[0] in _ESCAPES:
                out += _ESCAPES[escaped[0]]
            elif escaped and escaped in b"01234567":
                octal = _OCTAL.match(data, position - 1)
                out.append(int(octal.group(), 8) & 0xFF)
                position = octal.end()
            elif escaped == b"\r":
                position += data[position:position + 1] == b"\n"
            elif escaped != b"\n":
                out += escaped
            continue
        if char == 0x28:
            depth += 1
        elif char == 0x29:
            depth -= 1
            if depth == 0:
                break
        out.append(char)
    return bytes(out), position


def _scan(data: bytes, resources, used: dict, visited: set) -> None:
    """Record which strings each font shows in a content stream; follow form XObjects."""
    resources = resources.get_object() if resources is not None else {}
    font_resources = (resources.get("/Font") or {})
    font_resources = font_resources.get_object() if font_resources else {}
    for font in font_resources.values():  # fonts that show nothing still have a ToUnicode
        font = font.get_object()
        used.setdefault(_key(font), (font, set()))
    shown: set[bytes] | None = None  # where the strings of the current font go
    saved: list[set[bytes] | None] = []  # the font is part of the graphics state (q, Q)
    operands: list = []
    arrays: list[list] = []
    position, length = 0, len(data)
    while position < length:
        match = _TOKEN.match(data, position)
        if match is None:  # a stray byte: skip it
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup
        if kind is None or kind == "dict":
            continue
        if kind == "literal":
            value, position = _literal(data, position)
            token: object = value
        elif kind == "hex":
            token = _hex(match.group()[1:-1])
        elif kind == "open":
            arrays.append([])
            continue
        elif kind == "close":
            token = arrays.pop() if arrays else []
        elif kind == "name":
            token = _Name(match.group())
        elif kind == "number":
            token = float(match.group())
        else:
            operator = match.group()
            if operator == b"Tf" and len(operands) >= 2:
                font = font_resources.get(operands[-2]) if isinstance(operands[-2], _Name) else None
                shown = None
                if font is not None:
                    font = font.get_object()
                    shown = used.setdefault(_key(font), (font, set()))[1]
            elif operator in (b"Tj", b"'", b'"', b"TJ") and operands and shown is not None:
                strings = operands[-1] if operator == b"TJ" else [operands[-1]]
                shown.update(item for item in strings if isinstance(item, bytes))
            elif operator == b"q":
                saved.append(shown)
            elif operator == b"Q" and saved:
                shown = saved.pop()
            elif operator == b"Do" and operands and isinstance(operands[-1], _Name):
                xobjects = resources.get("/XObject")
                xobject = xobjects.get_object().get(operands[-1]) if xobjects else None
                if xobject is not None:
                    _scan_form(xobject.get_object(), resources, used, visited)
            elif operator == b"ID":  # inline image data: skip to EI
                end = _INLINE_IMAGE_END.search(data, position)
                position = end.end() if end else length
            elif operator in (b"scn", b"SCN") and operands and isinstance(operands[-1], _Name):
                _scan_pattern(resources, operands, used, visited)
            operands.clear()
            arrays.clear()
            continue
        (arrays[-1] if arrays else operands).append(token)


def _scan_form(stream, resources, used: dict, visited: set) -> None:
    if stream.get("/Subtype") not in ("/Form", None) or _key(stream) in visited:
        return
    visited.add(_key(stream))
    _scan(stream.get_data(), stream.get("/Resources", resources), used, visited)


def _scan_pattern(resources, operands: list, used: dict, visited: set) -> None:
    patterns = resources.get("/Pattern")
    pattern = patterns.get_object().get(operands[-1]) if patterns else None
    if pattern is not None and hasattr(pattern.get_object(), "get_data"):
        pattern = pattern.get_object()
        if _key(pattern) not in visited:
            visited.add(_key(pattern))
            _scan(pattern.get_data(), pattern.get("/Resources", resources), used, visited)


# --------------------------------------------------------------------------- CMaps

_HEX = rb"<([0-9A-Fa-f\s]*)>"


def _hex(digits: bytes) -> bytes:
    try:
        return bytes.fromhex(digits.decode())  # skips whitespace
    except ValueError:  # an odd number of digits: the last one is followed by a 0
        digits = re.sub(rb"\s", b"", digits) + b"0"
        return bytes.fromhex(digits.decode())


def _sections(cmap: bytes, name: bytes) -> Iterator[bytes]:
    for match in re.finditer(rb"begin" + name + rb"(.*?)end" + name, cmap, re.DOTALL):
        yield match.group(1)


def _code_range(low: bytes, high: bytes) -> Iterator[bytes]:
    """The codes from low to high, counted as numbers of low's length (as poppler reads them)."""
    for code in range(int.from_bytes(low, "big"), int.from_bytes(high, "big") + 1):
        yield code.to_bytes(len(low), "big")


def _codespace(cmap: bytes) -> list[tuple[bytes, bytes]]:
    return [(_hex(low), _hex(high)) for section in _sections(cmap, b"codespacerange")
            for low, high in re.findall(_HEX + rb"\s*" + _HEX, section)]


def _within(code: bytes, low: bytes, high: bytes) -> bool:
    return all(lo <= byte <= hi for lo, hi, byte in zip(low, high, code, strict=False))


def _split_codes(string: bytes, codespace: list[tuple[bytes, bytes]]) -> Iterator[bytes]:
    """The codes a shown string holds, cut as the font's codespace ranges say."""
    if codespace == [(b"\x00\x00", b"\xff\xff")]:  # Identity-H, and WeasyPrint's own CMaps
        yield from (string[position:position + 2] for position in range(0, len(string), 2))
        return
    position = 0
    while position < len(string):
        for size in (1, 2, 3, 4):
            code = string[position:position + size]
            if len(code) == size and any(len(low) == size and _within(code, low, high)
                                         for low, high in codespace):
                break
        else:  # no range matches: the spec takes as many bytes as the shortest range
            size = min((len(low) for low, _ in codespace), default=1)
            code = string[position:position + size]
        yield code
        position += size


def _to_unicode(font) -> tuple[dict[bytes, str], list[tuple[bytes, bytes]]]:
    """The ToUnicode CMap: code -> text, and its codespace ranges."""
    stream = font.get("/ToUnicode")
    if stream is None or not hasattr(stream.get_object(), "get_data"):
        return {}, []
    cmap = stream.get_object().get_data()

    def text(digits: bytes) -> str:
        return _hex(digits).decode("utf-16-be", errors="replace")

    mapping: dict[bytes, str] = {}
    for section in _sections(cmap, b"bfchar"):
        for code, destination in re.findall(_HEX + rb"\s*" + _HEX, section):
            mapping[_hex(code)] = text(destination)
    for section in _sections(cmap, b"bfrange"):
        pattern = _HEX + rb"\s*" + _HEX + rb"\s*(?:" + _HEX + rb"|\[([^\]]*)\])"
        for low, high, start, array in re.findall(pattern, section):
            codes = _code_range(_hex(low), _hex(high))
            if array:
                for code, destination in zip(codes, re.findall(_HEX, array), strict=False):
                    mapping[code] = text(destination)
            else:
                first = _hex(start)
                for offset, code in enumerate(codes):
                    mapping[code] = (first[:-2] + (int.from_bytes(first[-2:], "big") + offset)
                                     .to_bytes(2, "big")).decode("utf-16-be", errors="replace")
    return mapping, _codespace(cmap)


def _cid_encoding(font) -> tuple[Callable[[bytes], int], list[tuple[bytes, bytes]]] | None:
    """A Type0 font's Encoding: code -> CID, and its codespace; None if not read here."""
    encoding = font.get("/Encoding")
    if encoding in ("/Identity-H", "/Identity-V"):
        return (lambda code: int.from_bytes(code, "big")), [(b"\x00\x00", b"\xff\xff")]
    if encoding is None or not hasattr(encoding.get_object(), "get_data"):
        return None  # a predefined CMap (UniGB-UCS2-H...)
    cmap = encoding.get_object().get_data()
    cids: dict[bytes, int] = {}
    ranges: list[tuple[int, int, int, int, bool]] = []  # length, low, high, CID of low, counts
    for name in (b"cid", b"notdef"):  # a notdef range gives all its codes one CID
        for section in _sections(cmap, name + b"char"):
            for code, cid in re.findall(_HEX + rb"\s*(\d+)", section):
                cids[_hex(code)] = int(cid)
        for section in _sections(cmap, name + b"range"):
            for low, high, cid in re.findall(_HEX + rb"\s*" + _HEX + rb"\s*(\d+)", section):
                low, high = _hex(low), _hex(high)
                ranges.append((len(low), int.from_bytes(low, "big"), int.from_bytes(high, "big"),
                               int(cid), name == b"cid"))

    def cid_of(code: bytes) -> int:  # a code the CMap does not map is shown as CID 0
        if code in cids:
            return cids[code]
        number = int.from_bytes(code, "big")
        return next((cid + (number - low if counts else 0)
                     for length, low, high, cid, counts in reversed(ranges)
                     if length == len(code) and low <= number <= high), 0)

    return cid_of, _codespace(cmap)


# --------------------------------------------------------------------------- font programs


def _font_file(descriptor) -> tuple[bytes, str] | None:
    """The embedded font program and its kind: "sfnt" (TrueType, OpenType) or "cff"."""
    if descriptor is None:
        return None
    descriptor = descriptor.get_object()
    if "/FontFile2" in descriptor:
        return descriptor["/FontFile2"].get_object().get_data(), "sfnt"
    if "/FontFile3" in descriptor:
        stream = descriptor["/FontFile3"].get_object()
        return stream.get_data(), "sfnt" if stream.get("/Subtype") == "/OpenType" else "cff"
    return None  # not embedded, or Type 1 (FontFile)


def _u16(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset:offset + 2], "big")


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset:offset + 4], "big")


class _Index:
    """A CFF INDEX, read item by item."""

    def __init__(self, data: bytes, offset: int):
        self.data, self.count = data, _u16(data, offset)
        if self.count == 0:
            self.end = offset + 2
            return
        self.size = data[offset + 2]
        self.offsets = offset + 3
        self.base = self.offsets + (self.count + 1) * self.size - 1
        self.end = self.base + self._offset(self.count)

    def _offset(self, number: int) -> int:
        start = self.offsets + number * self.size
        return int.from_bytes(self.data[start:start + self.size], "big")

    def __getitem__(self, number: int) -> bytes:
        return self.data[self.base + self._offset(number):self.base + self._offset(number + 1)]


def _cff_dict(data: bytes) -> dict[int, list[float]]:
    """A CFF DICT: operator (12 x as 1200 + x) -> operands."""
    result, operands, position = {}, [], 0
    while position < len(data):
        byte = data[position]
        if byte <= 21:
            operator = 1200 + data[position + 1] if byte == 12 else byte
            position += 2 if byte == 12 else 1
            result[operator], operands = operands, []
        elif byte == 28 or byte == 29:
            size = 2 if byte == 28 else 4
            operands.append(int.from_bytes(data[position + 1:position + 1 + size], "big", signed=True))
            position += 1 + size
        elif byte == 30:  # a real number: its nibbles end with 0xf
            position += 1
            while position < len(data) and 0xF not in (data[position] >> 4, data[position] & 0xF):
                position += 1
            operands.append(0.0)
            position += 1
        elif byte <= 246:
            operands.append(byte - 139)
            position += 1
        elif byte <= 254:
            value = (byte - 247) * 256 + data[position + 1] + 108
            operands.append(value if byte <= 250 else -(value - 4 * 256))
            position += 2
        else:
            position += 1
    return result


def _charstring_draws(charstring: bytes) -> bool:
    """Whether a Type 2 charstring draws: it moves to a point, calls a subroutine (which
    may), or is an accented ``endchar``. Its hint masks are skipped by counting the stems."""
    position, arguments, stems = 0, 0, 0
    while position < len(charstring):
        byte = charstring[position]
        if byte >= 32 or byte in (28, 255):
            position += 3 if byte == 28 else 1 if byte <= 246 else 2 if byte <= 254 else 5
            arguments += 1
            continue
        position += 1
        if byte in (4, 10, 21, 22, 29):  # vmoveto callsubr rmoveto hmoveto callgsubr
            return True
        if byte == 14:  # endchar: four arguments (and a width) make an accented glyph
            return arguments >= 4
        if byte in (1, 3, 18, 23, 19, 20):  # stem hints; hintmask and cntrmask add a vstem
            stems += arguments // 2
            if byte in (19, 20):
                position += (stems + 7) // 8
        elif byte == 12:
            position += 1
        arguments = 0
    return False


class _CFF:
    """A CFF font program: glyph count, charset, and which glyphs draw nothing."""

    def __init__(self, data: bytes):
        self.data = data
        names = _Index(data, data[2])
        tops = _Index(data, names.end)
        self.strings = _Index(data, tops.end)
        top = _cff_dict(tops[0])
        self.cid_keyed = 1230 in top
        self.charstrings = _Index(data, int(top[17][0]))
        self.glyph_count = self.charstrings.count
        self.charset = int(top.get(15, [0])[0])
        self.type2 = top.get(1206, [2])[0] == 2
        self._format0: list[int] | None = None

    def glyph_key(self, cid_or_sid: int) -> int | None:
        """The glyph id that the charset gives a CID (CID-keyed) or a string id (named)."""
        if cid_or_sid == 0:
            return 0
        if self.charset <= 2:  # predefined charsets: ISOAdobe (glyph i is SID i) and experts
            return cid_or_sid if self.charset == 0 and cid_or_sid < self.glyph_count else None
        data, position = self.data, self.charset + 1
        if data[self.charset] == 0:
            if self._format0 is None:
                self._format0 = [_u16(data, position + 2 * i) for i in range(self.glyph_count - 1)]
            try:
                return self._format0.index(cid_or_sid) + 1
            except ValueError:
                return None
        wide = data[self.charset] == 2
        glyph = 1
        while glyph < self.glyph_count:
            first = _u16(data, position)
            left = _u16(data, position + 2) if wide else data[position + 2]
            if first <= cid_or_sid <= first + left:
                return glyph + cid_or_sid - first
            glyph += left + 1
            position += 4 if wide else 3
        return None

    def is_empty(self, gid: int) -> bool:
        return self.type2 and not _charstring_draws(self.charstrings[gid])


class _CIDProgram:
    """The program of a Type0 font, read just enough to map CIDs and find blank glyphs.

    Read by hand: fontTools parses every glyph's metrics, charset entry and charstring offset
    first, which takes tenths of a second for the 65,535 glyph ids that WeasyPrint keeps in a
    Noto Sans CJK subset (HarfBuzz's retain-gids).
    """

    def __init__(self, data: bytes, kind: str, cff_cids: bool):
        self.cff: _CFF | None = None
        self.loca: tuple[int, bool] | None = None
        self.data = data
        if kind == "cff":
            self.cff = _CFF(data)
        else:
            tables = {data[12 + 16 * i:16 + 16 * i]: (_u32(data, 20 + 16 * i), _u32(data, 24 + 16 * i))
                      for i in range(_u16(data, 4))}
            if b"CFF " in tables:
                offset, length = tables[b"CFF "]
                self.cff = _CFF(data[offset:offset + length])
            elif b"loca" in tables and b"head" in tables:
                self.loca = (tables[b"loca"][0], _u16(data, tables[b"head"][0] + 50) == 0)
            self.glyph_count = _u16(data, tables[b"maxp"][0] + 4) if b"maxp" in tables else 0
        if self.cff is not None:
            self.glyph_count = self.cff.glyph_count
        self.cff_cids = cff_cids and self.cff is not None and self.cff.cid_keyed

    def gid(self, cid: int) -> int | None:
        """CIDFontType0 with a CID-keyed CFF finds CIDs through its charset; else CID = GID."""
        return self.cff.glyph_key(cid) if self.cff_cids else cid

    def is_empty(self, gid: int) -> bool:
        if self.cff is not None:
            return self.cff.is_empty(gid)
        if self.loca is not None:
            offset, short = self.loca
            if short:
                return _u16(self.data, offset + 2 * gid) == _u16(self.data, offset + 2 * gid + 2)
            return _u32(self.data, offset + 4 * gid) == _u32(self.data, offset + 4 * gid + 4)
        return False


class _Program:
    """A simple font's program (at most 256 glyphs shown), read with fontTools."""

    def __init__(self, data: bytes, kind: str):
        from fontTools.ttLib import TTFont

        if kind == "cff":  # a bare CFF (FontFile3 /Type1C or /CIDFontType0C)
            from fontTools.cffLib import CFFFontSet

            font_set = CFFFontSet()
            font_set.decompile(io.BytesIO(data), TTFont())
            top = font_set.topDictIndex[0]
            self.order = list(top.charset)
            self.builtin_encoding = getattr(top, "Encoding", None)
            self._glyphs = top.CharStrings
        else:  # TrueType (FontFile2) or OpenType (FontFile3 /OpenType)
            font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
            self.order = font.getGlyphOrder()
            self.builtin_encoding = None
            self.cmap = {(table.platformID, table.platEncID): table.cmap
                         for table in font["cmap"].tables} if "cmap" in font else {}
            self._glyphs = font.getGlyphSet()
        self._ids: dict[str, int] | None = None

    def glyph_id(self, name: str) -> int | None:
        if self._ids is None:
            self._ids = {glyph: number for number, glyph in enumerate(self.order)}
        return self._ids.get(name)

    def is_empty(self, gid: int) -> bool:
        from fontTools.pens.boundsPen import ControlBoundsPen

        pen = ControlBoundsPen(self._glyphs)  # composite glyphs draw their components
        self._glyphs[self.order[gid]].draw(pen)
        return pen.bounds is None


def _program(descriptor) -> _Program | None:
    font_file = _font_file(descriptor)
    return _Program(*font_file) if font_file else None


def _is_blank(text: str) -> bool:
    """Text an empty glyph may rightly show: spaces, controls, format characters."""
    return all(unicodedata.category(char)[0] == "Z" or unicodedata.category(char) in ("Cc", "Cf")
               for char in text)


def _name_text(code: bytes, to_unicode: dict[bytes, str], glyph_name: str | None = None) -> str:
    if code in to_unicode:
        return to_unicode[code]
    if glyph_name:
        from fontTools import agl

        return agl.toUnicode(glyph_name) or f"<{code.hex()}>"
    return f"<{code.hex()}>"


def _check_font(font, shown: set[bytes]) -> set[str]:
    to_unicode, _ = _to_unicode(font)
    if font.get("/Subtype") == "/Type0":
        return _check_type0(font, shown, to_unicode)
    codes = {bytes([byte]) for string in shown for byte in string}
    codes |= {code for code in to_unicode if len(code) == 1}
    if font.get("/Subtype") == "/Type3":
        return _check_type3(font, codes, to_unicode)
    return _check_simple(font, codes, to_unicode)


def _check_type0(font, shown: set[bytes], to_unicode: dict[bytes, str]) -> set[str]:
    encoding = _cid_encoding(font)
    descendant = font["/DescendantFonts"][0].get_object()
    font_file = _font_file(descendant.get("/FontDescriptor"))
    program = _CIDProgram(*font_file, descendant.get("/Subtype") == "/CIDFontType0") if font_file else None
    if encoding is None or program is None:  # nothing proves these characters are drawn
        codespace = encoding[1] if encoding else [(b"\x00\x00", b"\xff\xff")]
        codes = {code for string in shown for code in _split_codes(string, codespace)}
        return {_name_text(code, to_unicode) for code in codes | set(to_unicode)}
    cid_of, codespace = encoding
    codes = {code for string in shown for code in _split_codes(string, codespace)} | set(to_unicode)
    cid_to_gid_map = descendant.get("/CIDToGIDMap", "/Identity")
    gid_table = None
    if descendant.get("/Subtype") == "/CIDFontType2" and cid_to_gid_map != "/Identity":
        gid_table = cid_to_gid_map.get_object().get_data()
    missing = set()
    for code in codes:
        cid = cid_of(code)
        if gid_table is not None:
            gid = int.from_bytes(gid_table[2 * cid:2 * cid + 2], "big") if 2 * cid + 2 <= len(gid_table) \
                else 0
        else:
            gid = program.gid(cid)
        text = to_unicode.get(code)
        if not gid or gid >= program.glyph_count or (
                text is not None and not _is_blank(text) and program.is_empty(gid)):
            missing.add(_name_text(code, to_unicode))
    return missing


def _simple_glyph_names(font, builtin: list | None) -> dict[int, str]:
    """A simple font's code -> glyph name, from its Encoding (base encoding, differences)."""
    from fontTools.encodings.StandardEncoding import StandardEncoding

    encoding = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    base = encoding.get("/BaseEncoding") if hasattr(encoding, "get") else encoding
    names: dict[int, str] = {}
    if base in ("/WinAnsiEncoding", "/MacRomanEncoding"):
        from fontTools import agl

        codec = "cp1252" if base == "/WinAnsiEncoding" else "mac_roman"
        for code in range(32, 256):
            char = bytes([code]).decode(codec, errors="ignore")
            if char:
                names[code] = agl.UV2AGL.get(ord(char), f"uni{ord(char):04X}")
    else:
        source = builtin if isinstance(builtin, list) and base is None else StandardEncoding
        names = {code: name for code, name in enumerate(source) if name and name != ".notdef"}
    if hasattr(encoding, "get"):
        code = 0
        for item in encoding.get("/Differences") or ():
            if isinstance(item, int):
                code = item
            else:
                names[code] = str(item)[1:]
                code += 1
    return names


def _check_type3(font, codes: set[bytes], to_unicode: dict[bytes, str]) -> set[str]:
    procs = font.get("/CharProcs")
    procs = procs.get_object() if procs is not None else {}
    names = _simple_glyph_names(font, None)
    return {_name_text(code, to_unicode, names.get(code[0])) for code in codes
            if f"/{names.get(code[0])}" not in procs}


def _check_simple(font, codes: set[bytes], to_unicode: dict[bytes, str]) -> set[str]:
    program = _program(font.get("/FontDescriptor"))
    names = _simple_glyph_names(font, program.builtin_encoding if program else None)
    missing = set()
    for code in codes:
        byte, name = code[0], names.get(code[0])
        if program is None:
            missing.add(_name_text(code, to_unicode, name))
            continue
        cmap = getattr(program, "cmap", {})
        if font.get("/Subtype") == "/TrueType" and cmap:
            # PDF 32000 9.6.5.4: a symbolic (3,0) cmap by 0xF000 + code, else (3,1) by the
            # Unicode of the glyph name, else (1,0) by code.
            if (3, 0) in cmap:
                glyph = cmap[(3, 0)].get(0xF000 + byte) or cmap[(3, 0)].get(byte)
            elif (3, 1) in cmap and name:
                from fontTools import agl

                unicode_text = agl.toUnicode(name)
                glyph = cmap[(3, 1)].get(ord(unicode_text)) if len(unicode_text) == 1 else None
            else:
                glyph = cmap.get((1, 0), {}).get(byte)
            gid = program.glyph_id(glyph) if glyph else None
        else:
            gid = program.glyph_id(name) if name else None
        text = _name_text(code, to_unicode, name)
        if not gid or (not _is_blank(text) and program.is_empty(gid)):
            missing.add(text)
    return missing
