"""Scoring at city scale: full results (every enabled scheme, bootstrap included) against
one raw GROUP BY over the same answers in the same database.

    .venv/bin/python bench/scoring.py [--quick] [--sizes 1000,10000,20000]

Each size is a campaign of 100 units in 4 categories × 6 items, 4 rater groups, ballots
inserted as the respondent path stores them (a ballot row with its answers packed in
its cells); for the baseline the same answers also go, one row each, into a scratch
table of the same database. Targets (issue 6): results ≤ 1.5× the raw query; under 2 s without
the bootstrap.

``--routed`` (and the last row of a full run) builds the campaign as a city survey is
routed (测评关系): 服务对象 rate two of the four categories and answer a 查摆问题 multiple
choice, 企业代表 two others, 人大代表 every unit, 机关干部 one category; a ballot packs only
what its group is asked, and the baseline's answer rows are those same answers.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, machine, result_line  # noqa: E402

UNITS, ITEMS, CATEGORIES = 100, 6, ("综合管理类", "执法监管类", "服务窗口类", "社会管理类")
GROUPS = (("服务对象", 0.4), ("企业代表", 0.3), ("人大代表", 0.2), ("机关干部", 0.1))
#: The baseline's table: the same answers, one row each, in the same database (the
#: project keeps them packed in the ballot row; this table exists only for the baseline).
ANSWER_ROWS = (
    "CREATE TABLE IF NOT EXISTS bench_answer (ballot_id INTEGER NOT NULL, "
    "item_id INTEGER NOT NULL, unit_id INTEGER NOT NULL, option INTEGER NOT NULL, "
    "PRIMARY KEY (ballot_id, item_id, unit_id)) WITHOUT ROWID")
RAW_GROUP_BY = """
SELECT a.unit_id, a.item_id, b.rater_group_id, a.option, count(*)
FROM bench_answer a JOIN ballot b ON b.id = a.ballot_id
WHERE b.campaign_id = ? GROUP BY a.unit_id, a.item_id, b.rater_group_id, a.option"""


#: 测评关系 of the routed campaign: per rater group (by index), the categories it rates.
ROUTES = {0: ["服务窗口类", "社会管理类"], 1: ["执法监管类", "服务窗口类"], 2: None, 3: ["综合管理类"]}
PROBLEMS = ("门难进", "脸难看", "话难听", "事难办", "拖拉扯皮", "吃拿卡要")


def _route(campaign) -> None:
    from evalplatform.services import sections
    from evalplatform.services.campaigns import default_matrix

    groups = campaign.groups
    sections.set_routes(default_matrix(campaign), [
        {"groups": [groups[g].id], "categories": categories or []}
        for g, categories in ROUTES.items()], None)
    problems = sections.create_section(campaign, "查摆问题", [groups[0].id], None)
    sections.add_question(problems, "multiple", "主要问题", None, options=PROBLEMS, maximum=3)


def build(app, ballots: int, seed: int = 1, routed: bool = False):
    """A frozen campaign with ``ballots`` ballots; returns the campaign id."""
    from evalplatform.extensions import db
    from evalplatform.scoring.layout import Layout
    from evalplatform.services import campaigns, units

    with app.app_context():
        tag = f"{ballots}{'·分' if routed else ''}"
        made = [units.save_unit(None, f"单位{n:03d}（{tag}）", CATEGORIES[n % 4], None, None)
                for n in range(UNITS)]
        campaign = campaigns.create_campaign(None, title=f"万人评议 {ballots}{' 分类' if routed else ''}",
                                             min_group_size=5)
        campaigns.set_units(campaign, [u.id for u in made], None)
        for name, weight in GROUPS:
            campaigns.add_group(campaign, name, weight, None)
        campaigns.apply_template(campaign, "satisfaction", None)
        for n in range(ITEMS - 1):
            campaigns.add_item(campaign, f"评价项目{n + 2}", "satisfaction5", True, None)
        if routed:
            _route(campaign)
        db.session.flush()
        campaigns.open_campaign(campaign, None)
        db.session.commit()
        rules = campaign.rules
        unit_ids = [u["id"] for u in rules["units"]]
        item_ids = [i["id"] for i in rules["items"]]
        group_ids = [g["id"] for g in rules["groups"]]
        campaign_id = campaign.id
        path = db.engine.url.database
        layout = Layout.from_rules(rules)
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 0.6, UNITS)  # each unit's own level: spreads the ranking
    groups = rng.choice(len(group_ids), size=ballots, p=[0.5, 0.25, 0.15, 0.1])
    base = rng.normal(1.2, 0.9, (ballots, UNITS, 1)) - quality[None, :, None]
    answers = np.clip(np.rint(base + rng.normal(0, 0.5, (ballots, UNITS, ITEMS))), 0, 4)
    answers[rng.random((ballots, UNITS, ITEMS)) < 0.08] = 5  # 不了解
    answers = answers.astype(np.int8)
    ids = rng.choice(2**62, size=ballots, replace=False).astype(np.int64) + 1
    flat = answers.reshape(ballots, UNITS * ITEMS)
    cells = [layout.cells(g) for g in range(len(group_ids))]  # what each group is asked
    # 查摆问题 (服务对象 only, when routed): 1–3 of the problems ticked
    ticks = (rng.random((ballots, len(PROBLEMS))) < 0.3).astype(np.int8)
    extra = [ticks[b].tobytes() if routed and groups[b] == 0 else b"" for b in range(ballots)]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO ballot (id, campaign_id, rater_group_id, submitted_on, cells) "
        "VALUES (?, ?, ?, '2026-11-20', ?)",
        ((int(ids[b]), campaign_id, group_ids[groups[b]],
          flat[b, cells[groups[b]]].tobytes() + extra[b]) for b in range(ballots)))
    unit_col = np.repeat(np.array(unit_ids), ITEMS)
    item_col = np.tile(np.array(item_ids), UNITS)
    connection.execute(ANSWER_ROWS)
    connection.executemany(
        "INSERT INTO bench_answer (ballot_id, unit_id, item_id, option) VALUES (?, ?, ?, ?)",
        ((int(ids[b]), int(unit_col[k]), int(item_col[k]), int(flat[b, k]))
         for b in range(ballots) for k in cells[groups[b]]))
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return campaign_id


def measure(app, campaign_id: int, repeat: int) -> dict[str, float]:
    from evalplatform.extensions import db
    from evalplatform.models import Campaign
    from evalplatform.scoring.engine import compute, registered_schemes
    from evalplatform.scoring.rules import rules_for

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        schemes = registered_schemes()
        rules, digest, frozen = rules_for(campaign, schemes)
        quick = {**rules, "bootstrap": {**rules["bootstrap"], "replicates": 0}}
        path = db.engine.url.database
        out = {
            "results": best_of(repeat, compute, campaign, rules, digest, frozen, schemes),
            "no_bootstrap": best_of(repeat, compute, campaign, quick, digest, frozen, schemes),
        }
        db.session.remove()
    connection = sqlite3.connect(path)
    out["raw"] = best_of(repeat, lambda: connection.execute(RAW_GROUP_BY, (campaign_id,)).fetchall())
    out["answers"] = connection.execute(
        "SELECT count(*) FROM bench_answer a JOIN ballot b ON b.id = a.ballot_id "
        "WHERE b.campaign_id = ?", (campaign_id,)).fetchone()[0]
    connection.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,000 ballots only")
    parser.add_argument("--sizes", default="")
    parser.add_argument("--routed", action="store_true",
                        help="only the routed campaign (at the largest size)")
    args = parser.parse_args()
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes else
             [1000, 2000] if args.quick else [1000, 10000, 20000])
    print(f"# scoring: {UNITS} units × {ITEMS} items, {len(GROUPS)} rater groups, "
          f"500 bootstrap replicates\n# machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVALPLATFORM_INSTANCE"] = tmp
        from evalplatform import create_app
        from evalplatform.schema import upgrade

        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "TESTING": True})
        with app.app_context():
            upgrade()
        print("| ballots | answers | build (s) | raw GROUP BY (s) | results, bootstrap (s) "
              "| results, no bootstrap (s) | ratio |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        last = None
        runs = [(size, False) for size in sizes if not args.routed] + [(sizes[-1], True)]
        for size, routed in runs:
            start = time.perf_counter()
            campaign_id = build(app, size, seed=2 if routed else 1, routed=routed)
            built = time.perf_counter() - start
            m = measure(app, campaign_id, repeat=3 if size <= 10000 else 2)
            label = f"{size:,} routed" if routed else f"{size:,}"
            print(f"| {label} | {m['answers']:,} | {built:.1f} | {m['raw']:.3f} "
                  f"| {m['results']:.3f} | {m['no_bootstrap']:.3f} "
                  f"| {m['results'] / m['raw']:.2f} |", flush=True)
            if not routed:
                last = (size, m)
            else:
                print(f"# routed ({size:,} ballots, each group only its units, a multiple "
                      f"choice for 服务对象): ratio {m['results'] / m['raw']:.2f}")
    size, m = last or (size, m)
    print(f"# {size:,} ballots: results without the bootstrap {m['no_bootstrap']:.2f} s "
          f"(target < 2 s)")
    result_line("scoring", m["results"], "s", m["raw"])


if __name__ == "__main__":
    main()
