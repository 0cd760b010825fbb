"""Reading the audit log: its pages, and what each action means.

Actions are recorded by :func:`evalplatform.services.audit`. Their labels come through the
``audit_actions`` hook, the core's from this module (a built-in plugin), a plugin's from
the plugin, so a plugin's actions read as well as the core's.
"""

from __future__ import annotations

from flask_babel import pgettext
from sqlalchemy import func, select

from ..extensions import db
from ..hookspecs import hookimpl
from ..i18n import gettext as _
from ..models import AuditEvent, User
from ..plugins import hook

PER_PAGE = 100


@hookimpl
def audit_actions():
    return {
        "auth.login": _("登录"), "auth.logout": _("退出"), "auth.login_failed": _("登录失败"),
        "user.create": _("新建账号"), "user.update": _("修改账号"), "user.password": _("设置密码"),
        "user.token": _("生成 API 令牌"),
        "unit.create": _("新增被评单位"), "unit.update": _("修改被评单位"),
        "unit.delete": _("删除被评单位"), "unit.activate": _("启用被评单位"),
        "unit.deactivate": _("停用被评单位"), "unit.import": _("导入被评单位"),
        "unit.import_refused": _("导入被评单位（被拒绝）"),
        "campaign.create": _("新建评议活动"), "campaign.update": _("修改评议活动"),
        "campaign.delete": _("删除评议活动"), "campaign.units": _("选择被评单位"),
        "campaign.open": pgettext("campaign", "开始评议"), "campaign.close": _("结束评议"),
        "group.add": _("新增评议主体"), "group.update": _("修改评议主体"),
        "group.delete": _("删除评议主体"),
        "questionnaire.template": _("套用评议表模板"), "questionnaire.add_item": _("新增评价项目"),
        "questionnaire.delete_item": _("删除评价项目"),
        "scheme.enable": _("启用评分方案"), "scheme.disable": _("停用评分方案"),
        "scheme.configure": _("设置评分方案"),
        "codes.issue": _("发放访问码"), "codes.revoke": _("作废访问码"),
        "bulletin.letterhead": _("修改通报版头"), "document.bulletin": _("生成通报"),
        "document.unit_report": _("生成单位报告"), "document.unit_reports": _("生成各单位报告"),
        "job.bulletin": _("开始生成通报"), "job.unit_reports": _("开始生成各单位报告"),
    }


def action_labels() -> dict[str, str]:
    """Every known action's label in the reader's language (an unknown one, e.g. of a
    plugin since removed, is shown by its name alone)."""
    labels: dict[str, str] = {}
    for found in hook().audit_actions():
        labels.update(found or {})
    return labels


def page(number: int, per_page: int = PER_PAGE) -> tuple[list, int]:
    """One page of the log, newest first: ``[(event, username or None)]`` and the number
    of pages."""
    rows = db.session.execute(
        select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.user_id)
        .order_by(AuditEvent.id.desc()).limit(per_page).offset((number - 1) * per_page)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return rows, max((total + per_page - 1) // per_page, 1)
