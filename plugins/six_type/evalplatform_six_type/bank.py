"""The six types and the default item bank, worded from the campaign documents (seeds:
“建设学习型机关……”, the 六型机关 experience report of a development zone).

Some documents say 高效型 (efficient), others 务实型 (pragmatic), for the third type: the
variant is configurable, and each has its own items.

The dimensions' names are marked for translation (pages show them in the reader's
language); the items' wording is copied into a campaign's questionnaire and stays as it is.
"""

from __future__ import annotations

from evalplatform.i18n import N_

VARIANTS = (N_("高效型"), N_("务实型"))
#: The six dimensions; the third depends on the variant.
SLOTS = (N_("学习型"), N_("服务型"), None, N_("和谐型"), N_("创新型"), N_("廉洁型"))
VARIANT_SLOT = SLOTS.index(None)

BANK: dict[str, tuple[str, ...]] = {
    "学习型": (
        "学习制度健全、学习氛围浓厚",
        "向书本学习、向基层学习、向群众学习，理论素养和业务水平不断提高",
        "学以致用，用学习成果推动工作",
    ),
    "服务型": (
        "服务意识强、服务态度好",
        "为企业和群众提供优质、快捷、高效的服务",
        "没有门难进、脸难看、话难听、事难办的现象",
    ),
    "高效型": (
        "办事效率高，不拖拉、不扯皮",
        "工作规范有序、运转高效",
        "执行力强，决策部署落实迅速",
    ),
    "务实型": (
        "察实情、讲实话、办实事、求实效",
        "不以会议贯彻会议、不以文件落实文件",
        "言必行、行必果，工作一抓到底、抓出成效",
    ),
    "和谐型": (
        "团结协作、和衷共济，内部关系融洽",
        "科室之间沟通交流、相互配合，不推诿、不内耗",
        "讲民主、讲团结，工作环境舒畅和谐",
    ),
    "创新型": (
        "创新意识强，敢于打破旧框框、旧模式、旧思维",
        "以新的思路、新的举措推动各项工作",
        "勇于探索、大胆实践，能突破发展难题",
    ),
    "廉洁型": (
        "廉洁自律意识强，秉公用权、廉洁从政",
        "没有吃、拿、卡、要、占等不正之风",
        "党风廉政教育、制度、监督多管齐下",
    ),
}


def dimensions(variant: str) -> list[str]:
    """The six dimension names of a variant, in order."""
    return [variant if name is None else name for name in SLOTS]


def other_variant(variant: str) -> str:
    return VARIANTS[1 - VARIANTS.index(variant)]


def bank_size(slot: int) -> int:
    """How many bank items a slot offers (the most over the variants)."""
    name = SLOTS[slot]
    return max(len(BANK[v]) for v in VARIANTS) if name is None else len(BANK[name])
