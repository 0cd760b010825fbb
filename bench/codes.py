"""Benchmark 4: issuing access codes, and the slip PDF of a batch.

- ``services.codes.issue_codes`` for 1k / 10k / 100k codes (SQLite, the app's pragmas),
  against a baseline doing the same work bare: ``secrets`` + HMAC-SHA256 + one
  ``executemany`` INSERT with sqlite3 and the same pragmas;
- ``reports.slips.slips_pdf`` for 1,000 codes against WeasyPrint rendering the same 1,000
  codes as plain text lines.

    .venv/bin/python bench/codes.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, result_line  # noqa: E402

KEY = "bench-code-key"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=15000", "PRAGMA foreign_keys=ON",
           "PRAGMA synchronous=NORMAL")


def bare_issue(path: Path, count: int) -> float:
    """The baseline: generate, hash and insert ``count`` codes with nothing in between."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute("CREATE TABLE IF NOT EXISTS code (id INTEGER PRIMARY KEY, campaign_id INT, "
                 "rater_group_id INT, batch_id INT, code_hash BLOB UNIQUE, status TEXT)")
    start = time.perf_counter()
    key = KEY.encode()
    codes = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(ALPHABET) for _ in range(12)))
    rows = [(1, 1, 1, hmac.new(key, c.encode(), hashlib.sha256).digest(), "new") for c in codes]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO code (campaign_id, rater_group_id, batch_id, code_hash, "
                     "status) VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"# bench codes — {machine()}")
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="bench-codes-") as tmp:
        tmp = Path(tmp)
        os.environ["EVALPLATFORM_INSTANCE"] = str(tmp)
        from flask_migrate import upgrade

        from evalplatform import create_app
        from evalplatform.extensions import db
        from evalplatform.services import codes
        from evalplatform.testing import build_campaign

        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "CODE_HASH_KEY": KEY,
                          "CODES_MAX_BATCH": 100_000,
                          "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}"})
        with app.app_context():
            upgrade()
            campaign, _ = build_campaign(status="open", codes_per_group=1)
            group = campaign.groups[0]
            print("\n| codes | issue_codes s | codes/s | baseline s | ratio |")
            print("|---:|---:|---:|---:|---:|")
            times = {}
            for n in sizes:
                start = time.perf_counter()
                codes.issue_codes(campaign, group, n, None)
                db.session.commit()
                ours = time.perf_counter() - start
                base = bare_issue(tmp / f"bare-{n}.db", n)
                times[n] = (ours, base)
                print(f"| {n:,} | {ours:.2f} | {n / ours:,.0f} | {base:.2f} | {ours / base:.2f} |",
                      flush=True)

            from evalplatform.reports.pdf import render_pdf
            from evalplatform.reports.slips import slips_pdf

            slip_codes = [codes.generate_code() for _ in range(1000 if not args.quick else 200)]
            render_pdf("<html lang='zh-CN'><body><p>预热</p></body></html>")
            with app.test_request_context():
                start = time.perf_counter()
                data = slips_pdf(campaign, group.name, slip_codes, "https://pingyi.example.gov.cn")
                slips_s = time.perf_counter() - start
            lines = "".join(f"<p>{c}</p>" for c in slip_codes)
            start = time.perf_counter()
            render_pdf("<html lang='zh-CN'><head><link rel='stylesheet' href='pdf.css'></head>"
                       f"<body>{lines}</body></html>")
            plain_s = time.perf_counter() - start
            print(f"\nSlip PDF of {len(slip_codes)} codes: {slips_s:.1f} s "
                  f"({slips_s / len(slip_codes) * 1000:.0f} ms a slip, {len(data) / 1024:.0f} kB); "
                  f"plain text lines {plain_s:.1f} s")
        print(f"\n# full run {time.perf_counter() - began:.0f} s")
        ours, base = times[sizes[-1]]
        result_line("codes", ours, "s", base)
        result_line("slips", slips_s, "s", plain_s)


if __name__ == "__main__":
    main()
