"""Code slips: a PDF sheet of cut-out slips, one code and its QR code on each."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import segno
from flask import render_template

from ..errors import ServiceError
from ..i18n import force_locale
from ..i18n import gettext as _
from .excel import safe_text
from .pdf import render_pdf

#: Most slips one download may hold: a slip takes about 12 ms to render (half of it making
#: the QR code), so 1000 take 12–20 s, inside the request timeout. Larger batches are
#: downloaded as CSV only.
MAX_SLIPS = 1000


@dataclass(frozen=True)
class Slip:
    code: str
    url: str

    @property
    def qr_png(self) -> str:
        """The QR code as a PNG of one pixel a module, shown enlarged without smoothing
        (``image-rendering: pixelated``): as sharp as vector squares when printed, and
        much cheaper for WeasyPrint than an SVG path (1000 slips: 12 s instead of 17.5 s)."""
        return segno.make(self.url, error="m", micro=False).png_data_uri(scale=1, border=0)


def code_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/s/{code}"


def check_slip_count(count: int) -> None:
    """Refuse, before any code is issued, a slip sheet too large to render in a request."""
    if count > MAX_SLIPS:
        raise ServiceError(_("二维码纸条每批最多 %(max)s 张。请分批发放，"
                             "或不勾选纸条、只下载访问码清单（CSV）。", max=MAX_SLIPS),
                           field="slips")


def slips_html(campaign, group_name: str, codes: list[str], base_url: str) -> str:
    """The slip sheet's HTML (in Chinese, as every document)."""
    slips = [Slip(code, code_url(base_url, code)) for code in codes]
    with force_locale("zh"):
        return render_template("reports/slips.html", campaign=campaign, group_name=group_name,
                               slips=slips, entry_url=base_url.rstrip("/") + "/")


def slips_pdf(campaign, group_name: str, codes: list[str], base_url: str) -> bytes:
    """The printable slip sheet for these codes."""
    return render_pdf(slips_html(campaign, group_name, codes, base_url))


def codes_csv(group_name: str, codes: list[str], base_url: str) -> bytes:
    """The codes as CSV (UTF-8 with BOM so that Excel shows the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rater_group", "code", "url"])
    for code in codes:  # the group's name is typed by staff: never a formula
        writer.writerow([safe_text(group_name), code, code_url(base_url, code)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def codes_zip(campaign, group_name: str, codes: list[str], base_url: str, *,
              with_slips: bool, stem: str) -> bytes:
    """One download holding the CSV and, if asked, the slip PDF of a batch."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.csv", codes_csv(group_name, codes, base_url))
        if with_slips:
            archive.writestr(f"{stem}-slips.pdf", slips_pdf(campaign, group_name, codes,
                                                            base_url))
    return buffer.getvalue()
