"""Benchmark 3: the bulletin (通报) and every unit's report of a city-scale campaign.

Builds, in a temporary instance (SQLite), closed campaigns of 30, 60 and 115 units in four
categories, four rater groups, the satisfaction template plus the six_type, capability and
checklist schemes, a few thousand ballots (bulk-inserted) and checklist findings. Then, each
in a fresh process (so that building the data does not count towards peak memory):

- the bulletin (``services.reports.make_bulletin``): seconds, with the results computed
  cold as a fresh job would, and the peak RSS of the process (a report process: its
  garbage collector tuned as in an RQ job process);
- the 115 units' reports (``make_unit_reports``): seconds in total;
- baselines in the same process: WeasyPrint rendering a plain HTML document with the same
  ranking rows (one table per scheme and category, same fonts, no letterhead, no charts),
  and for the units' reports one such plain document per unit with its rows.

    .venv/bin/python bench/reports.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, peak_rss_mib, result_line  # noqa: E402

CATEGORIES = [("综合管理类", 30), ("执法监管类", 35), ("服务窗口类", 30), ("社会事业类", 20)]
GROUPS = [("服务对象", 0.4), ("机关干部", 0.2), ("人大代表和政协委员", 0.2), ("基层单位", 0.2)]
OFFICES = ["发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
           "财政局", "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局",
           "交通运输局", "水利局", "农业农村局", "商务局", "文化广电旅游局", "卫生健康委员会",
           "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
           "城市管理局", "行政审批服务局", "信访局", "机关事务管理局", "林业局"]
DISTRICTS = ["市", "城东区", "城西区", "高新区"]
UNITS_FULL = 115
SIZES = (30, 60, 115)
#: Each rater rates this many units (the ones they know), every item for each.
UNITS_PER_BALLOT = 24
#: Ballots per unit of the campaign (3,000 ballots at 115 units).
BALLOTS_PER_UNIT = 26
CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "CODE_HASH_KEY": "bench-code-key",
          "PUBLIC_BASE_URL": "https://pingyi.example.gov.cn"}
COMMENTS = ["办事效率有明显提高，希望继续保持。", "窗口工作人员态度热情，解释耐心。",
            "个别事项办理时限偏长，建议进一步优化流程。", "政策宣传不够到位，群众知晓率不高。"]


def make_app(instance: Path):
    os.environ["EVALPLATFORM_INSTANCE"] = str(instance)
    from evalplatform import create_app

    return create_app({**CONFIG, "DATABASE_URL": f"sqlite:///{instance / 'bench.db'}"})


# -- building the data -----------------------------------------------------------------------

def unit_rows() -> list[tuple[str, str]]:
    names = [f"{d}{o}" for d in DISTRICTS for o in OFFICES]
    random.Random(6).shuffle(names)
    rows, k = [], 0
    for category, n in CATEGORIES:
        for _ in range(n):
            rows.append((names[k], category))
            k += 1
    return rows


def build(app, size: int, ballots_per_unit: int) -> int:
    """A closed campaign of ``size`` units; its id."""
    from evalplatform_checklist import reviews
    from evalplatform_checklist.models import RectificationItem
    from sqlalchemy import select, update

    from evalplatform.extensions import db
    from evalplatform.models import AccessCode
    from evalplatform.models.codes import CODE_NEW, CODE_USED
    from evalplatform.services import campaigns, codes
    from evalplatform.services.ballots import questionnaire
    from evalplatform.testing import build_campaign

    rnd = random.Random(size)
    # Every category keeps its share of the 115 units.
    rows, per_category = [], {c: [r for r in unit_rows() if r[1] == c] for c, _ in CATEGORIES}
    for category, n in CATEGORIES:
        rows += per_category[category][: max(3, round(n * size / UNITS_FULL))]
    rows = rows[:size]
    with app.app_context():
        campaign, _ = build_campaign(status="draft", unit_rows=rows, groups=GROUPS,
                                     codes_per_group=1,
                                     title=f"2026年度全市机关作风建设满意度测评（{size}个单位）")
        for key in ("six_type", "capability", "checklist"):
            campaigns.enable_scheme(campaign, key, None)
        campaigns.open_campaign(campaign, None)
        db.session.commit()
        n_ballots = ballots_per_unit * size
        for group in campaign.groups:
            codes.issue_codes(campaign, group, n_ballots // len(GROUPS) + 200, None)
        db.session.commit()
        # Checklist findings for every third unit; a few rectification items overdue.
        config = reviews.campaign_config(campaign)
        listed = [(lst["key"], item["key"]) for lst in config["lists"] for item in lst["items"]]
        for k, unit in enumerate(campaign.units):
            if k % 3:
                continue
            picked = rnd.sample(listed, 2)
            reviews.record_reviews(campaign, unit, [
                reviews.ReviewInput(lst, item, "不符合", "2", "现场检查发现问题")
                for lst, item in picked], None, reviews.evidence.FileBatch())
        db.session.commit()
        today = reviews.local_today()
        for k, item in enumerate(db.session.scalars(select(RectificationItem).where(
                RectificationItem.campaign_id == campaign.id))):
            item.measure, item.responsible = "制定整改方案，逐项销号", "张××"
            item.deadline = today - timedelta(days=3) if k % 4 == 0 else today + timedelta(days=30)
        db.session.commit()

        # Ballots, bulk: what submit_ballot stores, minus one transaction per ballot.
        q = questionnaire(campaign)  # the frozen order the packed cells follow
        unit_ids = [u.id for u in q.units]
        items = [(i.id, len(i.options)) for i in q.items]
        groups = [g.id for g in campaign.groups]
        ballots, comments, answers = [], [], 0
        for b in range(n_ballots):
            ballot_id = secrets.randbits(63) or 1
            group_id = groups[b % len(groups)]
            chosen = {}
            for unit_id in rnd.sample(unit_ids, min(UNITS_PER_BALLOT, len(unit_ids))):
                bias = unit_id % 3  # units differ
                for item_id, n_options in items:
                    option = min(n_options - 1, int(rnd.random() ** (1 + bias) * n_options))
                    chosen[(unit_id, item_id)] = option
                if rnd.random() < 0.02:
                    comments.append((secrets.randbits(63) or 1, ballot_id, unit_id,
                                     rnd.choice(COMMENTS)))
            ballots.append((ballot_id, campaign.id, group_id, date(2026, 11, 20).isoformat(),
                            q.layout.pack(q.group_index, chosen, {})))
            answers += len(chosen)
        connection = db.session.connection().connection.driver_connection
        connection.executemany("INSERT INTO ballot (id, campaign_id, rater_group_id, "
                               "submitted_on, cells) VALUES (?, ?, ?, ?, ?)", ballots)
        connection.executemany("INSERT INTO comment (id, ballot_id, unit_id, text) "
                               "VALUES (?, ?, ?, ?)", comments)
        for group_id in groups:  # mark as many codes used as ballots were cast
            used = sum(1 for b in ballots if b[2] == group_id)
            ids = select(AccessCode.id).where(AccessCode.rater_group_id == group_id,
                                              AccessCode.status == CODE_NEW).limit(used)
            db.session.execute(update(AccessCode).where(AccessCode.id.in_(ids))
                               .values(status=CODE_USED))
        db.session.commit()
        campaigns.close_campaign(campaign, None)
        db.session.commit()
        return campaign.id, n_ballots, answers


# -- baselines -------------------------------------------------------------------------------

PLAIN_CSS = """
@page { size: A4; margin: 24mm 22mm 22mm 24mm; }
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 11pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 8.5pt;
        font-family: "Noto Sans CJK SC", sans-serif; }
th, td { border: 0.5pt solid #666; padding: 1mm 1.4mm; text-align: left; }
"""


def _row(cells) -> str:
    from markupsafe import escape

    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _cells(u) -> list[str]:
    def num(x):
        return "—" if x is None else f"{x:.2f}"

    interval = f"{u.interval[0]:.2f}–{u.interval[1]:.2f}" if getattr(u, "interval", None) else "—"
    rate = "—" if u.satisfaction_rate is None else f"{u.satisfaction_rate:.1%}"
    return [str(u.rank or "—"), u.unit, num(u.score), interval, rate, u.grade or "—",
            str(u.valid_votes), " ".join(sorted(u.flags))]


def plain_bulletin_html(results) -> str:
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
             f"<style>{PLAIN_CSS}</style></head><body><h1>评议结果</h1>"]
    for scheme in results.schemes.values():
        for category, units in scheme.by_category():
            if units:
                parts.append(f"<p>{scheme.title} · {category}</p><table><thead>"
                             + _row(["排名", "单位", "得分", "95% 区间", "满意率", "等次", "有效票",
                                     "标记"]) + "</thead><tbody>")
                parts += [_row(_cells(u)) for u in units]
                parts.append("</tbody></table>")
    return "".join(parts) + "</body></html>"


def plain_unit_html(results, unit_id: int) -> str:
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
             f"<style>{PLAIN_CSS}</style></head><body>"]
    for scheme in results.schemes.values():
        u = scheme.unit(unit_id)
        if u is None:
            continue
        parts.append(f"<h2>{scheme.title}</h2><table>" + _row(_cells(u)))
        for item in u.items or []:
            score = "—" if item.score is None else f"{item.score:.2f}"
            parts.append(_row([item.item, score, str(item.valid_votes), str(item.abstentions)]))
        parts.append("</table>")
    return "".join(parts) + "</body></html>"


def plain_pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()


# -- measuring, in a fresh process -------------------------------------------------------------

def child(kind: str, instance: Path, campaign_id: int) -> dict:
    from evalplatform.reports.pdf import render_pdf, tune_process_for_rendering

    # A report process, as an RQ job runs (bench/private_apis.py measures the bulletin at
    # a web process's default collector thresholds, as a thread-pool job makes it).
    tune_process_for_rendering()

    app = make_app(instance)
    with app.app_context():
        from evalplatform.extensions import db
        from evalplatform.models import Campaign
        from evalplatform.scoring.engine import campaign_results
        from evalplatform.services import reports

        # A worker imports WeasyPrint once and has rendered before: not counted.
        render_pdf("<html lang='zh-CN'><body><p>预热</p></body></html>")
        campaign = db.session.get(Campaign, campaign_id)
        out = {}
        if kind == "bulletin":
            start = time.perf_counter()
            results = campaign_results(campaign)
            out["results_s"] = time.perf_counter() - start
            start = time.perf_counter()
            _, made = reports.make_bulletin(campaign)
            out["seconds"] = out["results_s"] + time.perf_counter() - start
            out["pages"], out["bytes"] = made[0].pages, len(made[0].data)
            out["rss_mib"] = peak_rss_mib()
            start = time.perf_counter()
            data = plain_pdf(plain_bulletin_html(results))
            out["baseline_s"] = time.perf_counter() - start
            out["baseline_bytes"] = len(data)
        elif kind == "units":
            start = time.perf_counter()
            results = campaign_results(campaign)
            out["results_s"] = time.perf_counter() - start
            start = time.perf_counter()
            _, made = reports.make_unit_reports(campaign)
            out["seconds"] = out["results_s"] + time.perf_counter() - start
            out["reports"] = len(made) - 1
            out["pages"] = made[0].pages
            out["bytes"] = sum(len(m.data) for m in made[1:])
            out["rss_mib"] = peak_rss_mib()
            start = time.perf_counter()
            for unit in campaign.units:
                plain_pdf(plain_unit_html(results, unit.id))
            out["baseline_s"] = time.perf_counter() - start
        return out


def measure(kind: str, instance: Path, campaign_id: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--instance", str(instance),
         "--campaign", str(campaign_id)],
        check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer ballots, 115 units only")
    parser.add_argument("--child")
    parser.add_argument("--instance", type=Path)
    parser.add_argument("--campaign", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.instance, args.campaign)))
        return

    began = time.perf_counter()
    print(f"# bench reports — {machine()}")
    import weasyprint
    from weasyprint.text import ffi

    print(f"# WeasyPrint {weasyprint.__version__}, harfbuzz-subset "
          f"{'present' if getattr(ffi, 'harfbuzz_subset', None) else 'MISSING'}")
    ballots_per_unit = 8 if args.quick else BALLOTS_PER_UNIT
    sizes = (UNITS_FULL,) if args.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        instance = Path(tmp)
        app = make_app(instance)
        from evalplatform.schema import upgrade

        with app.app_context():
            upgrade()
        built = {}
        for size in sizes:
            start = time.perf_counter()
            campaign_id, n_ballots, n_answers = build(app, size, ballots_per_unit)
            built[size] = campaign_id
            print(f"# built {size} units: {n_ballots} ballots, {n_answers} answers, closed, "
                  f"in {time.perf_counter() - start:.1f} s", flush=True)

        print("\n| units | bulletin s | of which results s | pages | PDF kB | peak RSS MiB "
              "| baseline s | ratio |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        bulletins = {}
        for size in sizes:
            m = measure("bulletin", instance, built[size])
            bulletins[size] = m
            print(f"| {size} | {m['seconds']:.2f} | {m['results_s']:.2f} | {m['pages']} "
                  f"| {m['bytes'] / 1024:.0f} | {m['rss_mib']:.0f} | {m['baseline_s']:.2f} "
                  f"| {m['seconds'] / m['baseline_s']:.2f} |", flush=True)
        full = bulletins[UNITS_FULL]
        verdict = "met" if full["seconds"] <= 5 and full["rss_mib"] <= 1024 else "NOT met"
        print(f"\nTargets (bulletin ≤ 5 s, peak RSS ≤ 1024 MiB): {verdict}.")

        u = measure("units", instance, built[UNITS_FULL])
        print(f"\n{u['reports']} units' reports: {u['seconds']:.1f} s "
              f"({u['seconds'] / u['reports'] * 1000:.0f} ms each, results {u['results_s']:.2f} s), "
              f"{u['bytes'] / 1024 / u['reports']:.0f} kB each, peak RSS {u['rss_mib']:.0f} MiB; "
              f"baseline {u['baseline_s']:.1f} s")
        print(f"\n# full run {time.perf_counter() - began:.0f} s")
        result_line("bulletin", full["seconds"], "s", full["baseline_s"])
        result_line("unit-reports", u["seconds"], "s", u["baseline_s"])


if __name__ == "__main__":
    main()
