"""The questionnaire as frozen in the rules: its sections and questions, who is asked
what, and how one ballot's answers are packed into its ``cells``.

A questionnaire is an ordered list of sections, each routed to rater groups and holding
questions of five kinds: a **unit matrix** (items asked about each unit of a unit set,
itself routed per rater group: 测评关系), **single** and **multiple** choice, **text**
and **number**. The rules name every item, unit and group by id, resolved when the
campaign opens (a unit set chosen as whole categories holds the units they had then).

A ballot of rater group *g* packs what *g* is asked, in the rules' order:

- one signed byte per matrix cell (unit, item) routed to *g*, units major: the option's
  index, or -1 for none;
- per single-choice question asked of *g*: one byte, the option's index or -1;
- per multiple-choice question: one byte per option, 1 where chosen;
- per number question: four bytes, a little-endian signed integer (NUMBER_NONE: none).

Open text answers are stored beside the ballot (``Comment`` rows naming the question).
Rules frozen before sections existed (format 1) have one matrix of every item about every
unit, asked of every group: their ballots pack exactly as they always did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

KINDS = ("units", "single", "multiple", "text", "number")
NUMBER_NONE = -(2**31)
NUMBER_BYTES = 4
#: Options a choice question may have (an option's index must fit a signed byte).
MAX_OPTIONS = 100


@dataclass(frozen=True)
class Route:
    """Units of a matrix asked of some rater groups (by id)."""

    groups: frozenset[int]
    units: tuple[int, ...]


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    kind: str
    label: str
    required: bool = True
    #: single / multiple: ``{"label", "score"?}`` per option.
    options: tuple[dict, ...] = ()
    #: units: the item ids, and which units each group is asked about.
    items: tuple[int, ...] = ()
    routes: tuple[Route, ...] = ()
    #: multiple: fewest and most choices; number: smallest and largest value.
    min: int | None = None
    max: int | None = None
    #: text: the longest answer.
    max_length: int | None = None

    def slot_bytes(self) -> int:
        """Bytes this question takes in a ballot's cells (matrix questions: see Layout)."""
        return {"single": 1, "multiple": len(self.options), "number": NUMBER_BYTES}.get(
            self.kind, 0)


@dataclass(frozen=True)
class SectionSpec:
    id: int
    title: str
    groups: frozenset[int]
    questions: tuple[QuestionSpec, ...]


def sections_from_rules(rules: dict) -> tuple[SectionSpec, ...]:
    """The frozen sections; for rules from before sections, one untitled matrix of every
    item about every unit, asked of every group."""
    every_group = frozenset(g["id"] for g in rules["groups"])
    if "sections" not in rules:
        route = Route(every_group, tuple(u["id"] for u in rules["units"]))
        matrix = QuestionSpec(0, "units", "", items=tuple(i["id"] for i in rules["items"]),
                              routes=(route,))
        return (SectionSpec(0, "", every_group, (matrix,)),)
    out = []
    for section in rules["sections"]:
        questions = []
        for q in section["questions"]:
            questions.append(QuestionSpec(
                id=q["id"], kind=q["kind"], label=q["label"], required=q.get("required", True),
                options=tuple(q.get("options") or ()), items=tuple(q.get("items") or ()),
                routes=tuple(Route(frozenset(r["groups"]), tuple(r["units"]))
                             for r in q.get("routes") or ()),
                min=q.get("min"), max=q.get("max"), max_length=q.get("max_length")))
        out.append(SectionSpec(section["id"], section.get("title", ""),
                               frozenset(section["groups"]), tuple(questions)))
    return tuple(out)


@dataclass(frozen=True)
class Layout:
    """Who is asked what under frozen rules, and where each answer sits in a ballot."""

    unit_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    group_ids: tuple[int, ...]
    sections: tuple[SectionSpec, ...]
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_rules(cls, rules: dict) -> Layout:
        return cls(tuple(u["id"] for u in rules["units"]), tuple(i["id"] for i in rules["items"]),
                   tuple(g["id"] for g in rules["groups"]), sections_from_rules(rules))

    @cached_property
    def routed(self) -> np.ndarray:
        """``[U, I, G]``: whether group g is asked about unit u on item i."""
        u_index = {u: k for k, u in enumerate(self.unit_ids)}
        i_index = {i: k for k, i in enumerate(self.item_ids)}
        g_index = {g: k for k, g in enumerate(self.group_ids)}
        routed = np.zeros((len(self.unit_ids), len(self.item_ids), len(self.group_ids)),
                          dtype=bool)
        for section in self.sections:
            for q in section.questions:
                if q.kind != "units":
                    continue
                items = [i_index[i] for i in q.items if i in i_index]
                for route in q.routes:
                    groups = [g_index[g] for g in route.groups & section.groups if g in g_index]
                    units = [u_index[u] for u in route.units if u in u_index]
                    if groups and units and items:
                        routed[np.ix_(units, items, groups)] = True
        return routed

    @cached_property
    def questions(self) -> tuple[tuple[SectionSpec, QuestionSpec], ...]:
        """Every question that is not a matrix, with its section, in order."""
        return tuple((s, q) for s in self.sections for q in s.questions if q.kind != "units")

    def cells(self, g: int) -> np.ndarray:
        """Flat indices (into units × items, units major) of the cells asked of the group
        with index ``g``, in ballot order."""
        key = ("cells", g)
        if key not in self._cache:
            self._cache[key] = np.flatnonzero(self.routed[:, :, g].reshape(-1))
        return self._cache[key]

    def slots(self, g: int) -> tuple[tuple[QuestionSpec, int], ...]:
        """The other questions asked of the group with index ``g``, each with the byte
        offset of its answer in the group's cells."""
        key = ("slots", g)
        if key not in self._cache:
            group_id, offset, out = self.group_ids[g], len(self.cells(g)), []
            for section, q in self.questions:
                if group_id in section.groups and q.slot_bytes():
                    out.append((q, offset))
                    offset += q.slot_bytes()
            self._cache[key] = tuple(out)
        return self._cache[key]

    def width(self, g: int) -> int:
        """The length of the cells of a ballot of the group with index ``g``."""
        slots = self.slots(g)
        if not slots:
            return len(self.cells(g))
        question, offset = slots[-1]
        return offset + question.slot_bytes()

    @cached_property
    def complete(self) -> bool:
        """Every group asked every cell and nothing else (as before sections): a ballot's
        cells are then the whole units × items grid."""
        return bool(self.routed.all()) and not self.questions

    def pack(self, g: int, answers: dict[tuple[int, int], int], choices: dict) -> bytes:
        """A ballot of the group with index ``g``: ``answers`` by (unit id, item id),
        ``choices`` by question id (an option index, a tuple of them, or a number)."""
        width = len(self.item_ids)
        u_index = {u: k * width for k, u in enumerate(self.unit_ids)}
        i_index = {i: k for k, i in enumerate(self.item_ids)}
        flat = np.full(len(self.unit_ids) * width, -1, dtype=np.int8)
        for (unit_id, item_id), option in answers.items():
            flat[u_index[unit_id] + i_index[item_id]] = option
        out = bytearray(flat[self.cells(g)].tobytes())
        for q, _offset in self.slots(g):
            value = choices.get(q.id)
            if q.kind == "single":
                out += (-1 if value is None else int(value)).to_bytes(1, "little", signed=True)
            elif q.kind == "multiple":
                chosen = set(value or ())
                out += bytes(1 if k in chosen else 0 for k in range(len(q.options)))
            else:  # number
                out += (NUMBER_NONE if value is None else int(value)).to_bytes(
                    NUMBER_BYTES, "little", signed=True)
        return bytes(out)

    def unpack(self, g: int, cells: bytes) -> tuple[dict[tuple[int, int], int], dict]:
        """What :meth:`pack` packed: answers by (unit id, item id), choices by question id
        (unanswered ones left out)."""
        index = self.cells(g)
        grid = np.frombuffer(cells[:len(index)], dtype=np.int8)
        width = len(self.item_ids)
        answers = {(self.unit_ids[k // width], self.item_ids[k % width]): int(v)
                   for k, v in zip(index, grid, strict=True) if v >= 0}
        choices: dict = {}
        for q, offset in self.slots(g):
            raw = cells[offset:offset + q.slot_bytes()]
            if q.kind == "single":
                value = int.from_bytes(raw, "little", signed=True)
                if value >= 0:
                    choices[q.id] = value
            elif q.kind == "multiple":
                chosen = tuple(k for k, b in enumerate(raw) if b)
                if chosen:
                    choices[q.id] = chosen
            else:
                value = int.from_bytes(raw, "little", signed=True)
                if value != NUMBER_NONE:
                    choices[q.id] = value
        return answers, choices


def decode_group(layout: Layout, g: int, blobs: list[bytes]) -> tuple[np.ndarray, dict]:
    """The ballots of the group with index ``g``: their matrix answers as rows of the whole
    units × items grid (``[n, U·I]`` int8, -1 where none or not asked) and, per question
    asked of the group, its answers (single ``[n]`` int8, multiple ``[n, options]`` bool,
    number ``[n]`` int64 with NUMBER_NONE)."""
    n, width = len(blobs), layout.width(g)
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(n, width)
    index = layout.cells(g)
    grid = np.full((n, len(layout.unit_ids) * len(layout.item_ids)), -1, dtype=np.int8)
    grid[:, index] = raw[:, :len(index)].view(np.int8)
    answers = {}
    for q, offset in layout.slots(g):
        part = raw[:, offset:offset + q.slot_bytes()]
        if q.kind == "single":
            answers[q.id] = part[:, 0].view(np.int8).copy()
        elif q.kind == "multiple":
            answers[q.id] = part.astype(bool)
        else:
            answers[q.id] = np.ascontiguousarray(part).view("<i4")[:, 0].astype(np.int64)
    return grid, answers
