"""Answer scales and questionnaire templates the admin builds a ballot from.

Titles, descriptions and item labels are shown in the admin's language and copied into a
campaign in it. The answer options stay as written: the scoring schemes know them by
their labels (满意, 优秀 …).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, gettext, lazy_gettext

ABSTAIN_LABEL = "不了解"
#: The answer options of the built-in scales (and the schemes' rating scales), shown to a
#: respondent in the page's language; a ballot stores the option's index, never its label.
OPTION_LABELS = frozenset((
    N_("满意"), N_("比较满意"), N_("基本满意"), N_("不太满意"), N_("不满意"), N_("不了解"),
    N_("优秀"), N_("称职"), N_("基本称职"), N_("不称职"),
    N_("好"), N_("较好"), N_("一般"), N_("差")))


def option_label(label: str) -> str:
    """An option's label in the page's language, when it is one the platform knows."""
    return gettext(label) if label in OPTION_LABELS else label


def _scale(*options: tuple[str, float | None]) -> list[dict]:
    return [{"label": label, "score": score, "abstain": score is None} for label, score in options]


@dataclass(frozen=True)
class Scale:
    title: str
    options: list[dict]
    #: The built-in scheme that scores items on this scale.
    scheme: str


#: Answer scales. Scores are defaults; a scheme's configuration may map them otherwise.
SCALES: dict[str, Scale] = {
    "satisfaction5": Scale(
        lazy_gettext("满意度五级（满意 … 不满意，另设不了解）"),
        _scale(("满意", 100), ("比较满意", 80), ("基本满意", 60), ("不太满意", 40),
               ("不满意", 0), (ABSTAIN_LABEL, None)),
        "satisfaction",
    ),
    "satisfaction3": Scale(
        lazy_gettext("满意度三级（满意、基本满意、不满意，另设不了解）"),
        _scale(("满意", 100), ("基本满意", 60), ("不满意", 0), (ABSTAIN_LABEL, None)),
        "satisfaction",
    ),
    "appraisal4": Scale(
        lazy_gettext("民主测评四档（优秀、称职、基本称职、不称职）"),
        _scale(("优秀", 95), ("称职", 80), ("基本称职", 65), ("不称职", 50)),
        "appraisal",
    ),
}


@dataclass(frozen=True)
class Template:
    title: str
    description: str
    items: tuple[tuple[str, str], ...]  # (label, scale key)


TEMPLATES: dict[str, Template] = {
    "satisfaction": Template(
        lazy_gettext("满意度测评（总体评价）"),
        lazy_gettext("每个被评单位一项总体满意度，五级评价并设“不了解”，适用于万人评议机关。"),
        ((lazy_gettext("总体满意度"), "satisfaction5"),),
    ),
    "style": Template(
        lazy_gettext("机关作风满意度（分项评价）"),
        lazy_gettext("按服务态度、办事效率、依法行政、廉洁自律四项分别评价，五级并设“不了解”。"),
        ((lazy_gettext("服务态度"), "satisfaction5"), (lazy_gettext("办事效率"), "satisfaction5"),
         (lazy_gettext("依法行政"), "satisfaction5"), (lazy_gettext("廉洁自律"), "satisfaction5")),
    ),
    "satisfaction3": Template(
        lazy_gettext("满意度测评（三级）"),
        lazy_gettext("满意、基本满意、不满意三级并设“不了解”，适用于大规模群众评议。"),
        ((lazy_gettext("总体评价"), "satisfaction3"),),
    ),
    "appraisal": Template(
        lazy_gettext("民主测评"),
        lazy_gettext("优秀、称职、基本称职、不称职四档，适用于领导班子和干部民主测评。"),
        ((lazy_gettext("总体评价"), "appraisal4"),),
    ),
}
