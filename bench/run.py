"""Run every benchmark and write docs/performance.md from what they print.

    .venv/bin/python bench/run.py [--quick] [NAME ...]      (make bench)

Each benchmark is a script in bench/ that prints a Markdown table and ends with
``bench NAME: VALUE UNIT vs baseline VALUE UNIT, ratio R``. Their output goes into
docs/performance.md under the machine and the command that produced it.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys

from common import ROOT, machine

BENCHES = ("submit", "scoring", "reports", "codes", "private_apis")
HEADER = """# Performance

Written by `make bench` (`{command}`) on {when}, on: {machine}; each section says when it
was measured (`python bench/run.py NAME …` re-runs some and keeps the others).
Every figure comes with a baseline measured in the same run on the same machine; the
last line of each section is the line docs/design.md fixes. Re-run to refresh this page
(on a quiet machine: the benchmarks share its cores with whatever else runs).

What the benchmarks show, and what is behind each figure:

- **submit** — the respondent's POST (code check, CSRF, validation, code spent, ballot
  stored) under gunicorn, against a bare Flask endpoint that only inserts the same
  ballot row (its answers packed, as the project stores them: one row per ballot), run
  before and after the project (the baseline is their mean). A ballot is checked against
  the questionnaire the process built once for the open campaign and stored in one short
  write transaction (UPDATE … RETURNING, one INSERT, one per comment) run on the driver's
  cursor, the SQL compiled once from SQLAlchemy Core statements. SQLite writers queue on
  a thread lock within a process and on a file lock between processes instead of
  sleeping in SQLite's busy handler. What remains above the baseline is Flask's
  per-request machinery for a page with a signed session and a CSRF token (a bare Flask
  app with only those two costs 0.29 ms a POST in-process against 0.11 ms without them),
  the checks, and on SQLite the writers' queue: a ballot's transaction is short, but the
  thread holding it must win the GIL back after each SQLite call while the worker's
  other threads run Python, and the two workers' transactions queue on one lock. In-process
  the POST costs about 0.65 ms against the bare endpoint's 0.13 ms. The "floor" row is
  that bare INSERT behind Flask's signed session and Flask-WTF's CSRF check and nothing
  else (`bare_app:floor`): the most an implementation on the stack docs/design.md fixes could
  serve here (0.60–0.76 of the bare endpoint in the runs of 2026-12-03); the project's
  POST adds the code check and spend, validation, security headers and the sealing hook.
  "3 requests" adds the two page views a phone makes first (the ballot's grid is
  rendered once per campaign and language). PostgreSQL is measured with 1, 2 and 4
  workers on the same machine. The per-address limits on code entry are off for this
  benchmark (its clients stand for thousands of phones but come from one address). The
  floor varies between machines and runs (0.76 of the bare endpoint on 2026-12-03, 0.65
  on 2026-12-07): compare the project with the floor of the same run.
- **scoring** — full results (every scheme, the 500-replicate bootstrap) against one raw
  `GROUP BY` over the same answers stored one row each (a scratch table in the same
  database; the project keeps them packed in the ballot row, one byte a cell), so the
  tally is one read and a count per rater group and option; the bootstrap is a matrix
  product per rater group (for a unit that few of a group's ballots rate, over its own
  raters only) and dominates what is left. The last row is a routed campaign (测评关系):
  each rater group asked about some categories only and 服务对象 a multiple choice too; a
  ballot packs only what its group is asked, and the baseline's answer rows are those.
- **reports** — the bulletin and every unit's report (WeasyPrint) of a closed campaign,
  in a fresh process as a report job runs them, against WeasyPrint rendering plain
  tables of the same rows (with its own settings, as any program would). The intervals
  come from the bootstrap published when the campaign closed (the same ballots and rules
  resample to the same numbers), so the results take about 0.2 s instead of 1.2 s.
  Layout is WeasyPrint's pure-Python work, about half a millisecond per table cell on
  these machines (style cascade, CJK line breaking, tables split over pages), several for
  each SVG `<text>` (the bulletin's heat maps are therefore shaded tables). A report
  process (the units' report workers, RQ job processes) runs the cyclic garbage collector
  every 100,000 new objects instead of every 700 (at the default it kept walking
  WeasyPrint's few hundred thousand live boxes); a web process keeps Python's defaults,
  its request threads share them. The user agent stylesheet is WeasyPrint's less the
  rules for what these documents never contain (a tenth of the layout, same pixels). The units' reports
  are laid out in `REPORT_PROCESSES` worker processes. Splitting the bulletin into two
  documents laid out in parallel and merged was tried: 13.2 s → 11.8 s on 2 cores (the
  halves are uneven and each worker first imports WeasyPrint), not adopted.
- **codes** — issuing codes (random, keyed hash, one bulk INSERT) against the same work
  done bare, and the slip PDF (a QR code and text per slip) against plain text lines.
  Half of a slip's time is making its QR code (segno tries the eight masks in Python);
  the code goes in as a PNG of one pixel a module, drawn without smoothing.
- **private_apis** — what each reliance on a library's private API buys (each is guarded
  by a test that fails when the library changes), and the collector tuning of report
  processes: the 115-unit bulletin with `reports/ua.css` against WeasyPrint's own user
  agent stylesheet, at a report process's collector thresholds against Python's defaults,
  and a request to a page without limits with Flask-Limiter's blueprint check on the API
  only against on every request.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHES)} (default all)")
    args = parser.parse_args()
    names = args.names or list(BENCHES)
    if unknown := set(names) - set(BENCHES):
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}")
    command = "python bench/run.py" + (" --quick" if args.quick else "")
    page_path = ROOT / "docs" / "performance.md"
    sections, failed = kept_sections(page_path), []
    for name in names:
        script = ROOT / "bench" / f"{name}.py"
        if not script.exists():
            continue
        print(f"== {name}", flush=True)
        run = subprocess.run([sys.executable, str(script), *(["--quick"] if args.quick else [])],
                             capture_output=True, text=True, cwd=ROOT)
        out = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("INFO "))
        print(out, flush=True)
        if run.returncode != 0:
            failed.append(name)
            print(run.stderr[-3000:], file=sys.stderr)
        when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        sections[name] = (f"## {name}\n\nMeasured {when}.\n\n```\n{out.strip()}\n```\n"
                          if run.returncode == 0 else
                          f"## {name}\n\nfailed (exit {run.returncode}).\n")
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = HEADER.format(command=command, when=when, machine=machine()) + "\n" + "\n".join(
        sections[name] for name in BENCHES if name in sections)
    if not args.quick:
        page_path.write_text(page, encoding="utf-8")
        print("wrote docs/performance.md")
    return 1 if failed else 0


def kept_sections(path) -> dict[str, str]:
    """The sections of an earlier docs/performance.md, by benchmark: a run of some
    benchmarks replaces theirs and keeps the others (each section says when it ran)."""
    if not path.exists():
        return {}
    sections = {}
    for chunk in path.read_text(encoding="utf-8").split("\n## ")[1:]:
        name = chunk.split("\n", 1)[0].strip()
        if name in BENCHES:
            sections[name] = "## " + chunk.rstrip("\n") + "\n"
    return sections


if __name__ == "__main__":
    raise SystemExit(main())
