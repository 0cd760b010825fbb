"""The presets of the capability model, worded from the campaign documents (seeds:
the “能力作风建设提升年” implementation opinions; the 六型机关 report's 五力).

A preset is a list of families, each a list of (dimension, item wording); every
dimension is asked as one item, labelled “dimension：wording”. Titles, family and
dimension names are marked for translation (pages show them in the reader's language);
the items' wording is copied into a campaign's questionnaire and stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalplatform.i18n import N_, lazy_gettext


@dataclass(frozen=True)
class Preset:
    title: str
    description: str
    families: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @property
    def family_names(self) -> list[str]:
        return [name for name, _ in self.families]

    @property
    def dimension_names(self) -> list[str]:
        return [d for _, dims in self.families for d, _ in dims]


PRESETS: dict[str, Preset] = {
    "five_five": Preset(
        lazy_gettext("五种工作能力 + 五种优良作风"),
        lazy_gettext("切实提高“服务发展、依法行政、改革创新、执行落实、沟通协调”五种工作能力，大力弘扬"
                     "“刻苦钻研、争先创优、求真务实、联系群众、清正廉洁”五种优良作风。"),
        (
            (N_("五种工作能力"), (
                (N_("服务发展"), "服务意识强，服务流程优化、办事时限缩短，服务效能高"),
                (N_("依法行政"), "规范行政审批和行政执法行为，严格依法办事"),
                (N_("改革创新"), "积极推进改革，敢于探索、勇于创新"),
                (N_("执行落实"), "重点工作全程跟踪、一抓到底，各项工作落实到位"),
                (N_("沟通协调"), "畅通社情民意渠道，部门之间沟通协调、配合顺畅"),
            )),
            (N_("五种优良作风"), (
                (N_("刻苦钻研"), "加强学习培训，刻苦钻研业务，素质能力不断提升"),
                (N_("争先创优"), "工作争一流、上水平，争先创优氛围浓厚"),
                (N_("求真务实"), "察实情、讲实话、办实事、求实效"),
                (N_("联系群众"), "走进基层、服务群众，及时解决群众合理诉求"),
                (N_("清正廉洁"), "杜绝吃拿卡要、推诿塞责，严守廉洁自律规定"),
            )),
        ),
    ),
    "five_forces": Preset(
        lazy_gettext("五力（学习力、执行力、凝聚力、创新力、免疫力）"),
        lazy_gettext("在提高“五力”上下功夫：勤奋学习、强化落实、团结奋进、敢想敢为、廉洁自律。"),
        (
            (N_("五力"), (
                (N_("学习力"), "勤奋学习，学习经常化、制度化，成为行家里手"),
                (N_("执行力"), "言必行、行必果，抓工作一抓到底、抓出成效"),
                (N_("凝聚力"), "讲民主、讲团结、讲配合，干事业一条心"),
                (N_("创新力"), "敢想敢为，勇于探索、大胆实践，突破发展难题"),
                (N_("免疫力"), "廉洁自律，自警、自励、自省，抵制不正之风"),
            )),
        ),
    ),
}
DEFAULT_PRESET = "five_five"
#: The most families any preset has (the form offers this many family weights).
MAX_FAMILIES = max(len(p.families) for p in PRESETS.values())
