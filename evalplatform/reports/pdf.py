"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files.

A document may contain text typed by users (titles, unit names, comments). The URL
fetcher makes sure that such text can never make the renderer read a server file
(``file:///etc/passwd``) or reach another host: only ``data:`` URLs and files inside
``static/`` are served to it.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..paths import STATIC as _STATIC

log = logging.getLogger(__name__)
STATIC = _STATIC.resolve()
BASE_URL = STATIC.as_uri() + "/"


@cache
def _weasyprint():
    """Import WeasyPrint once per process (the import alone takes most of a second)."""
    import weasyprint
    from weasyprint.text import ffi

    if getattr(ffi, "harfbuzz_subset", None) is None:
        log.warning(
            "libharfbuzz-subset0 is missing: every CJK PDF will take seconds instead of "
            "a fraction of one. Install it (apt-get install libharfbuzz-subset0)."
        )
    return weasyprint


@cache
def _fetcher_class():
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcherResponse

    class StaticOnlyFetcher(weasyprint.urls.URLFetcher):
        """Serves data: URLs, files under static/ and the system's font files (an
        ``@font-face`` naming a ``local()`` font); refuses everything else."""

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_path(url)
            if path is None:
                log.warning("PDF renderer refused to fetch %s", url[:200])
                raise ValueError(f"refused: {url[:200]}")
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    return StaticOnlyFetcher


#: WeasyPrint's user agent stylesheet less the rules our documents never need (see it).
UA_STYLESHEET = Path(__file__).with_name("ua.css")


@cache
def _html_class():
    """weasyprint.HTML laying documents out with :data:`UA_STYLESHEET` as the user agent
    stylesheet (WeasyPrint takes it from this method; forms are never rendered)."""
    weasyprint = _weasyprint()
    stylesheet = weasyprint.CSS(filename=str(UA_STYLESHEET))

    class HTML(weasyprint.HTML):
        def _ua_stylesheets(self, forms=False):
            return [stylesheet]

    return HTML


#: Where the system's fonts are, and what a font file is called.
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".woff", ".woff2")


def static_path(url: str) -> Path | None:
    """The file a file: URL names, if it is under static/ or a font file of the system's
    font directories; None for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    font = path.suffix.lower() in FONT_SUFFIXES and any(path.is_relative_to(d)
                                                         for d in FONT_DIRS)
    if not (path.is_relative_to(STATIC) or font) or not path.is_file():
        return None
    return path


#: The cyclic garbage collector's thresholds in a process that only makes documents.
RENDER_GC_THRESHOLD = (100_000, 50, 100)


def tune_process_for_rendering() -> None:
    """Make this process run the cyclic garbage collector rarely: every 100,000 new
    objects instead of every 700.

    Laying out a bulletin creates a few hundred thousand boxes that all live until the
    PDF is written; at Python's default thresholds the collector walks them over and over
    (40% of a 115-unit bulletin's layout). Thresholds belong to the whole process, so
    this is for processes that do nothing but make documents — the report worker
    processes (``render_many``), RQ job processes and the ``report`` commands — never a
    web process, whose request threads would share them.
    """
    gc.set_threshold(*RENDER_GC_THRESHOLD)


@dataclass(frozen=True)
class Rendered:
    """A PDF and its number of pages."""

    data: bytes
    pages: int


def render(html: str, laid_out: Callable[[int], None] | None = None) -> Rendered:
    """Render an HTML document (relative links resolve inside static/) to PDF;
    ``laid_out(pages)`` is called once it is laid out, before it is written."""
    document = _html_class()(string=html, base_url=BASE_URL,
                             url_fetcher=_fetcher_class()()).render()
    pages = len(document.pages)
    if laid_out is not None:
        laid_out(pages)
    return Rendered(document.write_pdf(), pages)


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes."""
    return render(html).data


def render_many(htmls: Iterable[str], processes: int = 1) -> Iterator[Rendered]:
    """Render documents, in order.

    With ``processes`` > 1 they are laid out in that many worker processes while this one
    goes on making the next documents' HTML (laying out is WeasyPrint's pure-Python work,
    so threads would not help). The workers are spawned, fresh interpreters that share
    nothing with a web or job process but the HTML they are sent; they render with the
    same static-only URL fetcher and the collector tuned for rendering, and end with the
    batch.
    """
    if processes <= 1:
        for html in htmls:
            yield render(html)
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=tune_process_for_rendering)
    try:
        pending: deque = deque()
        for html in htmls:
            pending.append(pool.submit(render, html))
            if len(pending) >= 2 * processes:  # enough queued: wait for the oldest
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
