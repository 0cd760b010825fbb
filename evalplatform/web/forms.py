"""WTForms for the staff pages and the respondent's code entry. CSRF comes with FlaskForm;
WTForms' own messages follow the visitor's language through Flask-WTF."""

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
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from ..formkit import choices

# Labels, hints and messages are defined once and translated when shown (lazily).
from ..i18n import lazy_gettext as _
from ..models.campaigns import PHASES
from ..models.users import ROLE_LABELS
from ..services.questionnaires import TEMPLATES

REQUIRED = _("此项必填。")




class ActionForm(FlaskForm):
    """A bare form for POST buttons (open, close, delete …): CSRF only."""


class CodeForm(FlaskForm):
    code = StringField(_("访问码"), validators=[DataRequired(_("请输入访问码。")), Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false", "placeholder": _("例如 K7QM-2XRP-9TWD")})


class LoginForm(FlaskForm):
    username = StringField(_("用户名"), validators=[DataRequired(REQUIRED), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_("密码"), validators=[DataRequired(REQUIRED), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_("当前密码"), validators=[DataRequired(REQUIRED), Length(max=200)])
    password = PasswordField(_("新密码"), validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message=_("新密码为 10–200 位。"))])
    confirm = PasswordField(_("确认新密码"), validators=[EqualTo("password", _("两次输入的密码不一致。"))])


class UnitForm(FlaskForm):
    name = StringField(_("单位名称"), validators=[DataRequired(REQUIRED), Length(max=100)])
    category = StringField(_("序列"), validators=[DataRequired(REQUIRED), Length(max=50)],
                           render_kw={"list": "categories", "placeholder": _("如 综合管理类")})
    position = IntegerField(_("排序"), validators=[Optional()])


class ImportForm(FlaskForm):
    sheet = FileField(_("表格文件（.xlsx 或 .csv）"), validators=[FileRequired(_("请选择要上传的文件。"))])


class CampaignForm(FlaskForm):
    title = StringField(_("评议活动名称"), validators=[DataRequired(REQUIRED), Length(max=200)])
    issuer = StringField(_("主办单位"), validators=[Length(max=100)],
                         render_kw={"placeholder": _("如 中共××市委机关工委")})
    doc_number = StringField(_("文号"), validators=[Length(max=60)],
                             render_kw={"placeholder": _("如 〔2026〕10号")})
    period_start = DateField(_("开始日期"), validators=[Optional()])
    period_end = DateField(_("结束日期"), validators=[Optional()])
    phase = SelectField(_("阶段"), choices=choices(PHASES.items()))
    min_group_size = IntegerField(
        _("最小分组人数"), default=5,
        validators=[InputRequired(REQUIRED), NumberRange(1, 1000, _("请输入 1–1000 之间的整数。"))],
        description=_("有效票少于此数的评议主体不显示结果，以保护评议人匿名。"))
    comments_enabled = BooleanField(_("允许填写意见建议"), default=True)
    intro = TextAreaField(_("评议说明"), validators=[Length(max=2000)],
                          description=_("显示在评议表开头，如评议目的、填写要求。"))


class GroupForm(FlaskForm):
    name = StringField(_("评议主体"), validators=[DataRequired(REQUIRED), Length(max=60)],
                       render_kw={"placeholder": _("如 服务对象")})
    weight = FloatField(_("权重"), default=1.0,
                        validators=[InputRequired(REQUIRED), NumberRange(0, 1000, _("权重为 0–1000。"))])


class TemplateForm(FlaskForm):
    template = SelectField(_("评议表模板"), choices=choices((k, t.title) for k, t in TEMPLATES.items()))


class ItemForm(FlaskForm):
    """An item on a scale of the library, added to a unit matrix (choices: the view's)."""

    question = SelectField(_("加入"), coerce=int, validate_choice=False)
    label = StringField(_("评价项目"), validators=[DataRequired(REQUIRED), Length(max=100)])
    scale = SelectField(_("评价档次"))
    required = BooleanField(_("必答"), default=True)


class IssueCodesForm(FlaskForm):
    rater_group = SelectField(_("评议主体"), coerce=int, validators=[InputRequired(_("请选择评议主体。"))])
    # the upper limit is the service's, from CODES_MAX_BATCH
    count = IntegerField(_("数量"), default=50, validators=[
        InputRequired(REQUIRED), NumberRange(min=1, message=_("每批至少发放 1 个访问码。"))])
    slips = BooleanField(_("同时生成可裁切的二维码纸条（PDF）"), default=True)
    #: Shown only when links would lead to this machine (127.0.0.1): issue them anyway.
    local_ok = BooleanField(_("我只在本机试用，仍然生成"))


class UserForm(FlaskForm):
    username = StringField(_("用户名"), validators=[DataRequired(REQUIRED), Length(max=64)])
    display_name = StringField(_("姓名"), validators=[Length(max=100)])
    role = SelectField(_("角色"), choices=choices(ROLE_LABELS.items()))
    password = PasswordField(_("初始密码"), validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message=_("密码为 10–200 位。"))])


class UserEditForm(FlaskForm):
    display_name = StringField(_("姓名"), validators=[Length(max=100)])
    role = SelectField(_("角色"), choices=choices(ROLE_LABELS.items()))
    active = BooleanField(_("启用"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_("新密码"), validators=[DataRequired(REQUIRED), Length(min=10, max=200,
                             message=_("密码为 10–200 位。"))])


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

    issuer = StringField(_("发文机关"), validators=[Length(max=100)],
                         render_kw={"placeholder": _("如 中共××市委机关工委")})
    doc_number = StringField(_("发文字号"), validators=[Length(max=60)],
                             render_kw={"placeholder": _("如 ×机工〔2026〕10号")})
    title = StringField(_("标题"), validators=[Length(max=200), _placeholders])
    recipients = StringField(_("主送机关"), validators=[Length(max=300), _placeholders])
    opening = TextAreaField(_("正文开头"), validators=[Length(max=4000), _placeholders],
                            render_kw={"rows": 5})
    closing = TextAreaField(_("结束语"), validators=[Length(max=4000), _placeholders],
                            render_kw={"rows": 5})
    signature = StringField(_("落款"), validators=[Length(max=200), _placeholders])
    issued_on = DateField(_("成文日期"), validators=[Optional()],
                          description=_("不填时：评议已结束的用结束日期，否则用生成当天。"))
    copy_to = StringField(_("抄送"), validators=[Length(max=300)])
    unit_comments = BooleanField(_("单位报告中附评议意见原文"), default=True,
                                 description=_("评议表允许填写意见建议时，各单位报告列出评议人对该单位的意见（顺序随机）。"))


class VerifyForm(FlaskForm):
    document = FileField(_("要核验的文件（PDF 或 ZIP）"),
                         validators=[FileRequired(_("请选择要核验的文件。"))],
                         render_kw={"accept": ".pdf,.zip"})
