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
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
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
        """Serves data: URLs and files under static/; refuses everything else."""

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


def static_path(url: str) -> Path | None:
    """The file under static/ a file: URL names, or None if it names anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        return None
    return path


#: Python's cyclic garbage collector thresholds while a document is laid out or written.
RENDER_GC_THRESHOLD = (100_000, 50, 100)
_gc_lock = threading.Lock()
_gc_renders = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections():
    """Run the cyclic garbage collector rarely while WeasyPrint works.

    Laying out a bulletin creates a few hundred thousand boxes that all live until the
    PDF is written. At Python's default thresholds (a collection every 700 new objects,
    a full one every 100 collections or so) the collector walks them over and over: 40%
    of a 115-unit bulletin's layout. Cycles are still collected, every 100,000 objects.
    The thresholds are the process's: renders running at once (threads) share the raised
    ones, and the last to finish puts the old ones back.
    """
    global _gc_renders, _gc_saved
    with _gc_lock:
        if _gc_renders == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*RENDER_GC_THRESHOLD)
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.set_threshold(*_gc_saved)


@dataclass(frozen=True)
class Rendered:
    """A PDF and its number of pages."""

    data: bytes
    pages: int


def render(html: str, laid_out: Callable[[int], None] | None = None) -> Rendered:
    """Render an HTML document (relative links resolve inside static/) to PDF;
    ``laid_out(pages)`` is called once it is laid out, before it is written.

    Both steps run under :func:`fewer_collections`, and the laid-out document is dropped
    before it ends: with the document still alive, the first collection at the restored
    thresholds would walk all of its boxes once more (a quarter of a second for a
    115-unit bulletin).
    """
    with fewer_collections():
        document = _html_class()(string=html, base_url=BASE_URL,
                                 url_fetcher=_fetcher_class()()).render()
        pages = len(document.pages)
        if laid_out is not None:
            laid_out(pages)
        data = document.write_pdf()
        del document
    return Rendered(data, pages)


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes."""
    return render(html).data


def render_many(htmls: Iterable[str], processes: int = 1) -> Iterator[Rendered]:
    """Render documents, in order.

    With ``processes`` > 1 they are laid out in that many worker processes while this one
    goes on making the next documents' HTML (laying out is WeasyPrint's pure-Python work,
    so threads would not help). The workers are spawned, fresh interpreters that share
    nothing with a web or job process but the HTML they are sent; they render with the
    same static-only URL fetcher, and end with the batch.
    """
    if processes <= 1:
        for html in htmls:
            yield render(html)
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
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
