"""Answer scales and questionnaire templates the admin builds a ballot from."""

from __future__ import annotations

from dataclasses import dataclass

ABSTAIN_LABEL = "不了解"


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
        "满意度五级（满意 … 不满意，另设不了解）",
        _scale(("满意", 100), ("比较满意", 80), ("基本满意", 60), ("不太满意", 40),
               ("不满意", 0), (ABSTAIN_LABEL, None)),
        "satisfaction",
    ),
    "satisfaction3": Scale(
        "满意度三级（满意、基本满意、不满意，另设不了解）",
        _scale(("满意", 100), ("基本满意", 60), ("不满意", 0), (ABSTAIN_LABEL, None)),
        "satisfaction",
    ),
    "appraisal4": Scale(
        "民主测评四档（优秀、称职、基本称职、不称职）",
        _scale(("优秀", 95), ("称职", 80), ("基本称职", 65), ("不称职", 50)),
        "appraisal",
    ),
}
#: Schemes whose items the admin builds from these scales and templates.
BUILT_IN_SCHEMES = frozenset(scale.scheme for scale in SCALES.values())


@dataclass(frozen=True)
class Template:
    title: str
    description: str
    items: tuple[tuple[str, str], ...]  # (label, scale key)


TEMPLATES: dict[str, Template] = {
    "satisfaction": Template(
        "满意度测评（总体评价）",
        "每个被评单位一项总体满意度，五级评价并设“不了解”，适用于万人评议机关。",
        (("总体满意度", "satisfaction5"),),
    ),
    "style": Template(
        "机关作风满意度（分项评价）",
        "按服务态度、办事效率、依法行政、廉洁自律四项分别评价，五级并设“不了解”。",
        (("服务态度", "satisfaction5"), ("办事效率", "satisfaction5"),
         ("依法行政", "satisfaction5"), ("廉洁自律", "satisfaction5")),
    ),
    "satisfaction3": Template(
        "满意度测评（三级）",
        "满意、基本满意、不满意三级并设“不了解”，适用于大规模群众评议。",
        (("总体评价", "satisfaction3"),),
    ),
    "appraisal": Template(
        "民主测评",
        "优秀、称职、基本称职、不称职四档，适用于领导班子和干部民主测评。",
        (("总体评价", "appraisal4"),),
    ),
}
