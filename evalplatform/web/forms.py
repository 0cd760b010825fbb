"""WTForms for the staff pages and the respondent's code entry. CSRF comes with FlaskForm."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from ..models.campaigns import PHASES
from ..models.users import ROLE_LABELS
from ..services.questionnaires import SCALES, TEMPLATES

REQUIRED = "此项必填。"


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A bare form for POST buttons (open, close, delete …): CSRF only."""


class CodeForm(FlaskForm):
    code = StringField("访问码", validators=[DataRequired("请输入访问码。"), Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false", "placeholder": "例如 K7QM-2XRP-9TWD"})


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired(REQUIRED), Length(max=200)])
    password = PasswordField("新密码", validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message="新密码为 10–200 位。")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("password", "两次输入的密码不一致。")])


class UnitForm(FlaskForm):
    name = StringField("单位名称", validators=[DataRequired(REQUIRED), Length(max=100)])
    category = StringField("序列", validators=[DataRequired(REQUIRED), Length(max=50)],
                           render_kw={"list": "categories", "placeholder": "如 综合管理类"})
    position = IntegerField("排序", validators=[Optional()])


class ImportForm(FlaskForm):
    sheet = FileField("表格文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要上传的文件。")])


class CampaignForm(FlaskForm):
    title = StringField("评议活动名称", validators=[DataRequired(REQUIRED), Length(max=200)])
    issuer = StringField("主办单位", validators=[Length(max=100)],
                         render_kw={"placeholder": "如 中共××市委机关工委"})
    doc_number = StringField("文号", validators=[Length(max=60)],
                             render_kw={"placeholder": "如 〔2026〕10号"})
    period_start = DateField("开始日期", validators=[Optional()])
    period_end = DateField("结束日期", validators=[Optional()])
    phase = SelectField("阶段", choices=choices(PHASES.items()))
    min_group_size = IntegerField(
        "最小分组人数", default=5,
        validators=[InputRequired(REQUIRED), NumberRange(1, 1000, "请输入 1–1000 之间的整数。")],
        description="有效票少于此数的评议主体不显示结果，以保护评议人匿名。")
    comments_enabled = BooleanField("允许填写意见建议", default=True)
    intro = TextAreaField("评议说明", validators=[Length(max=2000)],
                          description="显示在评议表开头，如评议目的、填写要求。")


class GroupForm(FlaskForm):
    name = StringField("评议主体", validators=[DataRequired(REQUIRED), Length(max=60)],
                       render_kw={"placeholder": "如 服务对象"})
    weight = FloatField("权重", default=1.0,
                        validators=[InputRequired(REQUIRED), NumberRange(0, 1000, "权重为 0–1000。")])


class TemplateForm(FlaskForm):
    template = SelectField("评议表模板", choices=choices((k, t.title) for k, t in TEMPLATES.items()))


class ItemForm(FlaskForm):
    label = StringField("评价项目", validators=[DataRequired(REQUIRED), Length(max=100)])
    scale = SelectField("评价档次", choices=choices((k, s.title) for k, s in SCALES.items()))
    required = BooleanField("必答", default=True)


class IssueCodesForm(FlaskForm):
    rater_group = SelectField("评议主体", coerce=int, validators=[InputRequired("请选择评议主体。")])
    # the upper limit is the service's, from CODES_MAX_BATCH
    count = IntegerField("数量", default=50, validators=[
        InputRequired(REQUIRED), NumberRange(min=1, message="每批至少发放 1 个访问码。")])
    slips = BooleanField("同时生成可裁切的二维码纸条（PDF）", default=True)


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(REQUIRED), Length(max=64)])
    display_name = StringField("姓名", validators=[Length(max=100)])
    role = SelectField("角色", choices=choices(ROLE_LABELS.items()))
    password = PasswordField("初始密码", validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message="密码为 10–200 位。")])


class UserEditForm(FlaskForm):
    display_name = StringField("姓名", validators=[Length(max=100)])
    role = SelectField("角色", choices=choices(ROLE_LABELS.items()))
    active = BooleanField("启用")


class PasswordResetForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message="密码为 10–200 位。")])


def _placeholders(form, field) -> None:
    """A letterhead text may hold {{ 占位符 }} and nothing else of a template."""
    from wtforms.validators import ValidationError

    from ..reports.letterhead import LetterheadError, check_text

    try:
        check_text(field.data or "")
    except LetterheadError as error:
        raise ValidationError(str(error)) from None


class LetterheadForm(FlaskForm):
    """The bulletin's letterhead and closing words. Empty fields use the default text."""

    issuer = StringField("发文机关", validators=[Length(max=100)],
                         render_kw={"placeholder": "如 中共××市委机关工委"})
    doc_number = StringField("发文字号", validators=[Length(max=60)],
                             render_kw={"placeholder": "如 ×机工〔2026〕10号"})
    title = StringField("标题", validators=[Length(max=200), _placeholders])
    recipients = StringField("主送机关", validators=[Length(max=300), _placeholders])
    opening = TextAreaField("正文开头", validators=[Length(max=4000), _placeholders],
                            render_kw={"rows": 5})
    closing = TextAreaField("结束语", validators=[Length(max=4000), _placeholders],
                            render_kw={"rows": 5})
    signature = StringField("落款", validators=[Length(max=200), _placeholders])
    issued_on = DateField("成文日期", validators=[Optional()],
                          description="不填时：评议已结束的用结束日期，否则用生成当天。")
    copy_to = StringField("抄送", validators=[Length(max=300)])
    unit_comments = BooleanField("单位报告中附评议意见原文", default=True,
                                 description="评议表允许填写意见建议时，各单位报告列出评议人对该单位的意见（顺序随机）。")


class VerifyForm(FlaskForm):
    document = FileField("要核验的文件（PDF 或 ZIP）",
                         validators=[FileRequired("请选择要核验的文件。")],
                         render_kw={"accept": ".pdf,.zip"})
