"""Tallies of the questions that are not about units: choices per option and rater group,
numbers, open answers — under the same suppression as scores.

A rater group's figures for a question are shown when at least ``min_group_size`` of its
raters answered it; totals pool the shown groups only, so that nothing about a smaller
group can be had by subtracting the shown groups from a total. Open answers are listed
for the shown groups only, sorted by their text (never in the order they came).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import Ballot, Comment
from .cube import BallotArrays, CubeGroup
from .layout import NUMBER_NONE, Layout


@dataclass
class QuestionGroup:
    group: str
    #: Raters of the group who answered; None when suppressed (fewer than the minimum).
    answered: int | None
    suppressed: bool
    counts: list[int] | None = None
    mean: float | None = None


@dataclass
class QuestionResult:
    id: int
    kind: str
    label: str
    section: str
    options: list[str]
    groups: list[QuestionGroup]
    #: Pooled over the shown groups (None when they are fewer than the minimum together).
    answered: int | None = None
    counts: list[int] | None = None
    mean: float | None = None
    median: float | None = None
    texts: list[str] = field(default_factory=list)

    @property
    def shares(self) -> list[float | None]:
        """Each option's share of the raters who answered (a multiple-choice question's
        shares add up to more than 1)."""
        if not self.counts or not self.answered:
            return [None for _ in self.options]
        return [c / self.answered for c in self.counts]

    @property
    def ranked(self) -> list[tuple[str, int, float]]:
        """Options by how often they were chosen, most first (群众反映最集中的问题)."""
        if not self.counts or not self.answered:
            return []
        order = sorted(range(len(self.options)), key=lambda k: (-self.counts[k], k))
        return [(self.options[k], self.counts[k], self.counts[k] / self.answered) for k in order]


def tally_questions(campaign_id: int, layout: Layout, ballots: BallotArrays,
                    groups: tuple[CubeGroup, ...], min_group_size: int) -> list[QuestionResult]:
    """Every question that is not a matrix, tallied from the ballots."""
    out = []
    texts = _texts(campaign_id) if any(q.kind == "text" for _, q in layout.questions) else {}
    for section, q in layout.questions:
        asked = [j for j, g in enumerate(groups) if g.id in section.groups]
        result = QuestionResult(q.id, q.kind, q.label, section.title,
                                [o["label"] for o in q.options], [])
        shown = []
        for j in asked:
            mine = ballots.groups == j
            if q.kind == "text":
                found = texts.get((q.id, groups[j].id), [])
                n = len(found)
            else:
                answers = ballots.extra[q.id][mine]
                given = answered(q.kind, answers)
                n = int(given.sum())
            cell = QuestionGroup(groups[j].name, n if n >= min_group_size else None,
                                 n < min_group_size)
            if not cell.suppressed:
                shown.append(j)
                if q.kind in ("single", "multiple"):
                    cell.counts = _option_counts(q.kind, answers, len(q.options)).tolist()
                elif q.kind == "number":
                    cell.mean = float(answers[given].mean())
            result.groups.append(cell)
        total = sum(result.groups[asked.index(j)].answered for j in shown)
        if shown and total >= min_group_size:
            result.answered = total
            rows = np.isin(ballots.groups, shown)
            if q.kind in ("single", "multiple"):
                result.counts = _option_counts(q.kind, ballots.extra[q.id][rows],
                                               len(q.options)).tolist()
            elif q.kind == "number":
                values = ballots.extra[q.id][rows]
                values = values[values != NUMBER_NONE]
                result.mean, result.median = float(values.mean()), float(np.median(values))
            else:
                result.texts = sorted(t for j in shown for t in texts.get((q.id, groups[j].id), []))
        out.append(result)
    return out


def answered(kind: str, answers: np.ndarray) -> np.ndarray:
    """Per ballot, whether it answers a question (its ``BallotArrays.extra`` column)."""
    if kind == "single":
        return answers >= 0
    if kind == "multiple":
        return answers.any(axis=1)
    return answers != NUMBER_NONE


def _option_counts(kind: str, answers: np.ndarray, n_options: int) -> np.ndarray:
    if kind == "single":
        return np.bincount(answers[answers >= 0].astype(np.int64), minlength=n_options)
    return answers.sum(axis=0).astype(np.int64)


def _texts(campaign_id: int) -> dict[tuple[int, int], list[str]]:
    """Open answers by (question id, rater group id)."""
    rows = db.session.execute(
        select(Comment.question_id, Ballot.rater_group_id, Comment.text)
        .join(Ballot, Ballot.id == Comment.ballot_id)
        .where(Ballot.campaign_id == campaign_id, Comment.question_id.is_not(None)))
    out: dict[tuple[int, int], list[str]] = {}
    for question_id, group_id, text in rows:
        out.setdefault((question_id, group_id), []).append(text)
    return out
