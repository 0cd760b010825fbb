"""The anonymous ballots as CSV, for statisticians (reliability, straight-lining, their own
models): one row per ballot, one column per (unit, item) holding the chosen option.

What keeps it anonymous:

- Only for a closed campaign. While one is open, two downloads a minute apart would
  differ by the ballot just submitted.
- Rows are in the order of the random ballot ids, never in submission order, and are
  numbered 1…n; the ballot id itself is not printed. No code, no date, no comments (free
  text can identify its writer).
- A rater group with fewer ballots than the minimum group size is not named: its ballots
  are pooled as “其他（人数不足，合并）”. When the pooled ballots are still fewer than the
  minimum they are left out, and the result says how many.

Every cell is escaped as in the Excel export (``safe_text``), so a unit named “=cmd”
stays text. UTF-8 with a byte-order mark, so that Excel opens it as UTF-8.

At city scale (20,000 ballots × 100 units × 6 items = 12M answers) the answers are read
with one query over the raw cursor (``load_ballots``) and the cells are picked with one
NumPy fancy-index, never per-answer ORM objects.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from ..extensions import db
from ..i18n import gettext as _
from ..models import Ballot, Campaign
from ..scoring.cube import Cube, load_ballots, structure_from_rules
from ..services import ServiceError
from .excel import safe_text

#: The rater group shown for ballots of groups too small to be named.
MERGED_GROUP = "其他（人数不足，合并）"
HEAD_NUMBER, HEAD_GROUP = "序号", "评议主体"
UNIT_ITEM_SEPARATOR = "｜"
MIMETYPE = "text/csv; charset=utf-8"
#: Ballots turned into CSV rows at a time.
CSV_BLOCK = 1000


@dataclass(frozen=True)
class BallotsCsv:
    """The CSV and what the person downloading it should be told."""

    data: bytes
    #: Ballots written (rows below the header).
    ballots: int
    #: Ballots not written: pooled small groups still under the minimum, or (should never
    #: happen) ballots of a rater group that is not in the frozen rules.
    left_out: int
    #: Groups with too few ballots to be named, and how many ballots they have together
    #: (written as MERGED_GROUP when at least the minimum, else left out).
    merged_groups: tuple[str, ...]
    merged_ballots: int
    min_group_size: int
    filename: str

    @property
    def merged_written(self) -> bool:
        return self.merged_ballots >= self.min_group_size

    @property
    def note(self) -> str | None:
        """What was pooled or left out and why, in a sentence or two (None: nothing was),
        in the reader's language (the file itself is in Chinese)."""
        parts = []
        names = _("、").join(f"“{name}”" for name in self.merged_groups)
        if self.merged_groups and self.merged_written:
            parts.append(_("评议主体%(groups)s的评议票各不足%(n)s张，已合并为“%(merged)s”，"
                           "不显示原评议主体。", groups=names, n=self.min_group_size,
                           merged=MERGED_GROUP))
        elif self.merged_groups:
            parts.append(_("评议主体%(groups)s的评议票不足%(n)s张，合并后仍不足，"
                           "为保护评议人匿名，这 %(count)s 张评议票未导出。", groups=names,
                           n=self.min_group_size, count=self.merged_ballots))
        stray = self.left_out - (0 if self.merged_written else self.merged_ballots)
        if stray > 0:
            parts.append(_("%(count)s 张评议票不属于本活动冻结规则中的评议主体，未导出。",
                           count=stray))
        return "".join(parts) or None


def ballots_csv(campaign: Campaign) -> BallotsCsv:
    """The campaign's ballots as CSV; ServiceError unless the campaign is closed."""
    if campaign.status != "closed":
        raise ServiceError(_("评议票明细只能在评议活动结束后导出：活动进行中时，"
                             "前后两次下载的差别就是刚提交的评议票，会暴露评议人。"))
    if campaign.rules is None:
        raise ServiceError(_("该评议活动没有冻结的评分规则，无法导出评议票明细。"))
    rules = campaign.rules
    units, items, groups = structure_from_rules(rules)
    # The stricter of the frozen and the current minimum: anonymity never loosens.
    minimum = max(int(rules.get("min_group_size", 0)), int(campaign.min_group_size or 0), 1)
    # load_ballots reads only the cube's axes; the counts are not needed here.
    axes = Cube(units, items, groups, np.zeros((len(units), len(items), len(groups), 0)),
                np.zeros(len(groups), dtype=np.int64), minimum, campaign.id)
    arrays = load_ballots(campaign.id, axes)  # rows in random ballot-id order
    total = db.session.scalar(select(func.count()).where(Ballot.campaign_id == campaign.id))

    per_group = np.bincount(arrays.groups, minlength=len(groups))
    small = (per_group > 0) & (per_group < minimum)
    pooled = int(per_group[small].sum())
    written = ~small | (pooled >= minimum)  # per group: are its ballots written?
    group_cell = np.array([MERGED_GROUP if small[g] else safe_text(group.name)
                           for g, group in enumerate(groups)], dtype=object)
    keep = written[arrays.groups]
    answers, ballot_groups = arrays.answers[keep], arrays.groups[keep]

    # The cell of option o of item i is table[i, o]; the last column (-1) is empty, for
    # unanswered cells and for an option index outside the item's scale.
    n_options = max((len(item.options) for item in items), default=0)
    table = np.full((len(items), n_options + 1), "", dtype=object)
    for i, item in enumerate(items):
        for o, option in enumerate(item.options):
            table[i, o] = safe_text(option.label)
    n = len(answers)
    columns = len(units) * len(items)
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([HEAD_NUMBER, HEAD_GROUP, *(
        safe_text(f"{unit.name}{UNIT_ITEM_SEPARATOR}{item.label}")
        for unit in units for item in items)])
    # A block of ballots at a time: the cells of 20,000 ballots × 600 answers as Python
    # objects at once would take gigabytes; a block takes a few megabytes.
    for start in range(0, n, CSV_BLOCK):
        block = answers[start:start + CSV_BLOCK].astype(np.intp)
        block[(block < 0) | (block >= n_options)] = n_options
        rows = np.empty((len(block), 2 + columns), dtype=object)
        rows[:, 0] = np.arange(start + 1, start + len(block) + 1)
        rows[:, 1] = group_cell[ballot_groups[start:start + CSV_BLOCK]]
        rows[:, 2:] = table[np.arange(len(items)), block].reshape(len(block), columns)
        writer.writerows(rows.tolist())
    text.flush()
    data = out.getvalue()
    text.close()
    return BallotsCsv(
        data=data, ballots=n, left_out=int(total or 0) - n,
        merged_groups=tuple(group.name for g, group in enumerate(groups) if small[g]),
        merged_ballots=pooled,
        min_group_size=minimum, filename=download_name(campaign))


def download_name(campaign: Campaign) -> str:
    """The file name offered for download."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", campaign.title).strip() or "评议"
    return f"{name}-评议票明细.csv"
