"""The anonymous ballots as CSV, for statisticians (reliability, straight-lining, their own
models): one row per ballot, one column per (unit, item) holding the chosen option, then
the questions that are not about units (a choice's option, a multiple choice's options
as 1/0, a number; never an open answer).

What keeps it anonymous:

- Only for a closed campaign. While one is open, two downloads a minute apart would
  differ by the ballot just submitted.
- Rows are in the order of the random ballot ids, never in submission order, and are
  numbered 1…n; the ballot id itself is not printed. No code, no date, no comments and no
  open answers (free text can identify its writer).
- A rater group with fewer ballots than the minimum group size is not named: its ballots
  are pooled as “其他（人数不足，合并）”. When the pooled ballots are still fewer than the
  minimum they are left out, and the result says how many.
- A rater group's answers about a unit are left blank when the results suppress that
  group for that unit (fewer valid votes than the minimum on some item of a scheme):
  otherwise three or four votes the results hide could be read off the file. The blank
  cells include the group's 不了解 for the unit (their number would tell how many did
  not know). Pooled small groups are treated as one group. So every published figure can
  be recomputed from the file, and nothing the results suppress can.

Every cell is escaped as in the Excel export (``safe_text``), so a unit named “=cmd”
stays text. UTF-8 with a byte-order mark, so that Excel opens it as UTF-8.

At city scale (20,000 ballots × 100 units × 6 items = 12M answers) the answers are read
with one query over the raw cursor (``load_ballots``) and the cells are picked with one
NumPy fancy-index, never per-answer ORM objects.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from ..errors import ServiceError
from ..extensions import db
from ..i18n import gettext as _
from ..models import Ballot, Campaign
from ..scoring.cube import Cube, load_ballots, structure_from_rules
from ..scoring.layout import Layout
from ..scoring.questions import answered
from ..util import file_name
from .excel import safe_text

#: The rater group shown for ballots of groups too small to be named.
MERGED_GROUP = "其他（人数不足，合并）"
HEAD_NUMBER, HEAD_GROUP = "序号", "评议主体"
UNIT_ITEM_SEPARATOR = "｜"
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
    #: (unit, rater group) pairs whose answers were left blank: too few valid votes.
    blanked: int = 0

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
        if self.blanked:
            parts.append(_("%(count)s 处“单位 × 评议主体”的有效票不足%(n)s张，为保护评议人匿名，"
                           "这些评议主体对该单位的评价（含“不了解”）留空，与评议结果中不显示的一致。",
                           count=self.blanked, n=self.min_group_size))
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
    # Who each row is shown as: its group, or the pooled small groups (one more index).
    shown_as = np.where(small[ballot_groups], len(groups), ballot_groups)
    kept = shown_cells(answers, shown_as, len(groups) + 1, items, minimum)  # [label, U, I]

    # The cell of option o of item i is table[i, o]; the last column (-1) is empty, for
    # unanswered cells and for an option index outside the item's scale.
    n_options = max((len(item.options) for item in items), default=0)
    table = np.full((len(items), n_options + 1), "", dtype=object)
    for i, item in enumerate(items):
        for o, option in enumerate(item.options):
            table[i, o] = safe_text(option.label)
    n = len(answers)
    extra_heads, extra = _question_columns(rules, arrays, keep, shown_as, len(groups) + 1,
                                           minimum)
    columns = len(units) * len(items)
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([HEAD_NUMBER, HEAD_GROUP, *(
        safe_text(f"{unit.name}{UNIT_ITEM_SEPARATOR}{item.label}")
        for unit in units for item in items), *extra_heads])
    # A block of ballots at a time: the cells of 20,000 ballots × 600 answers as Python
    # objects at once would take gigabytes; a block takes a few megabytes.
    for start in range(0, n, CSV_BLOCK):
        block = answers[start:start + CSV_BLOCK].astype(np.intp)
        block[(block < 0) | (block >= n_options) | ~kept[shown_as[start:start + CSV_BLOCK]]] \
            = n_options
        rows = np.empty((len(block), 2 + columns + len(extra_heads)), dtype=object)
        rows[:, 0] = np.arange(start + 1, start + len(block) + 1)
        rows[:, 1] = group_cell[ballot_groups[start:start + CSV_BLOCK]]
        rows[:, 2:2 + columns] = table[np.arange(len(items)), block].reshape(len(block), columns)
        for k, column in enumerate(extra):
            rows[:, 2 + columns + k] = column[start:start + CSV_BLOCK]
        writer.writerows(rows.tolist())
    text.flush()
    data = out.getvalue()
    text.close()
    return BallotsCsv(
        data=data, ballots=n, left_out=int(total or 0) - n,
        merged_groups=tuple(group.name for g, group in enumerate(groups) if small[g]),
        merged_ballots=pooled,
        min_group_size=minimum, filename=download_name(campaign),
        blanked=int((~kept[np.unique(shown_as)]).any(axis=2).sum()))


def _question_columns(rules: dict, arrays, keep: np.ndarray, shown_as: np.ndarray,
                      n_labels: int, minimum: int) -> tuple[list[str], list[np.ndarray]]:
    """The columns of the questions that are not about units, after the matrix: a single
    choice's option, one 1/0 column per option of a multiple choice, a number. Never an
    open answer (free text can identify its writer). A row's answer is blank when fewer
    than ``minimum`` of the rows shown as its label answered the question, as in the
    results."""
    heads: list[str] = []
    columns: list[np.ndarray] = []
    for _section, q in Layout.from_rules(rules).questions:
        if q.kind == "text":
            continue
        values = arrays.extra[q.id][keep]
        given = answered(q.kind, values)
        per_label = np.bincount(shown_as[given], minlength=n_labels)
        given &= (per_label >= minimum)[shown_as]
        labels = [o["label"] for o in q.options]
        if q.kind == "single":
            table = np.array([safe_text(label) for label in labels] + [""], dtype=object)
            columns.append(table[np.where(given, values, len(labels)).astype(np.intp)])
            heads.append(safe_text(q.label))
        elif q.kind == "multiple":
            for k, label in enumerate(labels):
                column = np.full(len(values), "", dtype=object)
                column[given] = np.where(values[given, k], "1", "0")
                columns.append(column)
                heads.append(safe_text(f"{q.label}{UNIT_ITEM_SEPARATOR}{label}"))
        else:
            column = np.full(len(values), "", dtype=object)
            column[given] = values[given].astype(str)
            columns.append(column)
            heads.append(safe_text(q.label))
    return heads, columns


def shown_cells(answers: np.ndarray, labels: np.ndarray, n_labels: int, items, minimum: int
                ) -> np.ndarray:
    """``[label, U, I]``: whether the answers of the rows shown as each label (a rater
    group, or the pooled small groups) about each unit may be written: as in the results,
    a group counts for a unit only with at least ``minimum`` valid votes on every item of
    a scheme; otherwise all its answers about the unit on that scheme's items are blank."""
    n_units, n_items = answers.shape[1], answers.shape[2]
    abstain = np.zeros((n_items, max((len(i.options) for i in items), default=0) + 1), bool)
    for i, item in enumerate(items):
        for o, option in enumerate(item.options):
            abstain[i, o] = option.abstain
    index = np.where(answers >= 0, answers, abstain.shape[1] - 1).astype(np.intp)
    valid = (answers >= 0) & ~abstain[np.arange(n_items), index]  # [B, U, I]
    per_label = np.zeros((n_labels, n_units, n_items), dtype=np.int64)
    for label in range(n_labels):
        per_label[label] = np.count_nonzero(valid[labels == label], axis=0)
    kept = np.zeros_like(per_label, dtype=bool)
    for scheme in dict.fromkeys(item.scheme for item in items):
        own = [i for i, item in enumerate(items) if item.scheme == scheme]
        fewest = per_label[:, :, own].min(axis=2)  # [label, U]
        kept[:, :, own] = (fewest >= minimum)[:, :, None]
    return kept


def download_name(campaign: Campaign) -> str:
    """The file name offered for download."""
    return file_name(campaign.title, "评议票明细.csv")
