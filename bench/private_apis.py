"""Benchmark 5: what each use of a library's private API, and the collector tuning, buys.

The project relies on two private APIs, each guarded by a test that fails when the
library changes (tests/test_pdf.py, tests/test_security_ratelimit.py), and tunes the
garbage collector in processes that only make documents. Each is kept only if it pays;
this measures it, in the same run, against going without:

- **ua.css** — WeasyPrint's user agent stylesheet replaced, through the private
  ``HTML._ua_stylesheets``, by the same sheet less the rules these documents never need:
  laying out and writing the 115-unit bulletin with ours against WeasyPrint's own;
- **collector** — the bulletin rendered at the thresholds of a report process
  (``pdf.tune_process_for_rendering``) against Python's defaults (a web process);
- **limiter hook** — Flask-Limiter's private ``_check_request_limit`` moved from every
  request to the API blueprint's: the time of a request to a page without limits, with
  the hook where the app puts it and where Flask-Limiter would.

    .venv/bin/python bench/private_apis.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, best_of, machine, result_line  # noqa: E402
from reports import UNITS_FULL, build, make_app  # noqa: E402


def bulletin_child(instance: Path, campaign_id: int, rounds: int) -> dict:
    """In a fresh process: the bulletin's HTML once, then each way of rendering it."""
    import weasyprint

    from evalplatform.reports import pdf

    app = make_app(instance)
    with app.app_context():
        from evalplatform.extensions import db
        from evalplatform.models import Campaign
        from evalplatform.reports.bulletin import bulletin_html

        html = bulletin_html(db.session.get(Campaign, campaign_id))
        pdf.render_pdf("<p>预热</p>")  # WeasyPrint imported and warm: not counted

        def ours():
            pdf.render(html)

        def theirs():
            weasyprint.HTML(string=html, base_url=pdf.BASE_URL,
                            url_fetcher=pdf._fetcher_class()()).write_pdf()

        default = gc.get_threshold()
        variants = {"default_gc_s": (ours, default),
                    "tuned_gc_s": (ours, pdf.RENDER_GC_THRESHOLD),
                    "weasyprint_ua_s": (theirs, pdf.RENDER_GC_THRESHOLD)}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):  # interleaved: a drift of the machine hits all alike
            for name, (render, thresholds) in variants.items():
                gc.set_threshold(*thresholds)
                gc.collect()
                start = time.perf_counter()
                render()
                times[name].append(time.perf_counter() - start)
        out = {name: min(found) for name, found in times.items()}
        out["thresholds"] = [list(default), list(pdf.RENDER_GC_THRESHOLD)]
        return out


def limiter_per_request(requests: int) -> tuple[float, float]:
    """Seconds per GET of a page without limits: the hook on the API only, then on all."""
    with tempfile.TemporaryDirectory(prefix="bench-limiter-") as tmp:
        app = make_app(Path(tmp))
        app.config["RATELIMIT_ENABLED"] = True
        from evalplatform.schema import upgrade

        with app.app_context():
            upgrade()
        limiter = app.extensions["evalplatform.limiter"]
        client = app.test_client()

        def run():
            for _ in range(requests):
                client.get("/healthz")

        hooks = app.before_request_funcs.setdefault(None, [])
        run()  # warm
        moved, everywhere = [], []
        for _ in range(5):  # interleaved
            moved.append(best_of(1, run) / requests)
            hooks.insert(0, limiter._check_request_limit)
            everywhere.append(best_of(1, run) / requests)
            hooks.remove(limiter._check_request_limit)
        return min(moved), min(everywhere)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--child", type=Path)
    parser.add_argument("--campaign", type=int)
    args = parser.parse_args()
    rounds = 2 if args.quick else 5
    if args.child:
        print(json.dumps(bulletin_child(args.child, args.campaign, rounds)))
        return

    print(f"# bench private_apis — {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-private-") as tmp:
        instance = Path(tmp)
        app = make_app(instance)
        from evalplatform.schema import upgrade

        with app.app_context():
            upgrade()
        campaign_id, ballots, _ = build(app, UNITS_FULL, 8)
        print(f"# built {UNITS_FULL} units, {ballots} ballots", flush=True)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(instance), "--campaign", str(campaign_id),
             *(["--quick"] if args.quick else [])],
            check=True, capture_output=True, text=True, cwd=ROOT)
        m = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"# bulletin renders measured in {time.perf_counter() - start:.0f} s "
              f"(best of {rounds}); collector thresholds {m['thresholds'][0]} → "
              f"{m['thresholds'][1]}")
    moved, everywhere = limiter_per_request(200 if args.quick else 2000)

    print("\n| what | with it | without it | saved |")
    print("|---|---:|---:|---:|")
    print(f"| bulletin, 115 units: ua.css (tuned collector) | {m['tuned_gc_s']:.2f} s "
          f"| {m['weasyprint_ua_s']:.2f} s | {1 - m['tuned_gc_s'] / m['weasyprint_ua_s']:.0%} |")
    print(f"| bulletin, 115 units: collector tuned (ua.css) | {m['tuned_gc_s']:.2f} s "
          f"| {m['default_gc_s']:.2f} s | {1 - m['tuned_gc_s'] / m['default_gc_s']:.0%} |")
    print(f"| a request without limits: limiter hook on the API only | {moved * 1e6:.0f} µs "
          f"| {everywhere * 1e6:.0f} µs | {1 - moved / everywhere:.0%} |")
    result_line("ua-css", m["tuned_gc_s"], "s", m["weasyprint_ua_s"])
    result_line("render-gc", m["tuned_gc_s"], "s", m["default_gc_s"])
    result_line("limiter-hook", moved * 1e6, "µs", everywhere * 1e6)


if __name__ == "__main__":
    main()
