"""Languages: Chinese by default, English complete.

Strings are written in Chinese where they are used and wrapped for translation
(``_("评议活动")`` in Python and templates); the Chinese text is the message id, so the
Chinese interface needs no catalogue and reads naturally in the source. The English
catalogue is ``evalplatform/translations/en/LC_MESSAGES/messages.po``; each plugin keeps
its own beside its code and names the folder through the ``translation_directories``
hook. ``make setup`` compiles the catalogues; ``make i18n`` re-extracts the strings and
updates them (see docs/i18n.md).

The language is the visitor's choice (the ``lang`` cookie, set by ``/lang/<code>``), else
``BABEL_DEFAULT_LOCALE`` (``zh``). WTForms' own messages follow, through Flask-WTF.
Official documents (bulletins, unit reports, code slips) are always in Chinese.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel, force_locale, gettext, lazy_gettext, ngettext, pgettext

__all__ = ["LANGUAGES", "N_", "force_locale", "gettext", "init_app", "lazy_gettext", "ngettext",
           "pgettext"]

#: The languages offered, by locale code, each named in itself.
LANGUAGES = {"zh": "中文", "en": "English"}
#: The cookie that keeps a visitor's choice (a preference, not an identifier).
COOKIE = "lang"
#: Where the core's catalogues live.
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (it is translated later,
    e.g. where it is shown)."""
    return message


#: The strings the page scripts (static/*.js) show, as written there. Pages carry their
#: translations in ``<body data-i18n>``; the scripts look each one up by its Chinese text
#: and fall back to it. tests/test_i18n.py checks every string the scripts use is here.
JS_MESSAGES: tuple[str, ...] = (
    # static/ballot.js
    N_("已答 {done} / {total}"),
    N_("（必答项）"),
    N_("已全部作答"),
    N_("下一个未答"),
    N_("✓ 已完成"),
    N_("网络连接已中断。您填写的内容仍保存在本页，网络恢复后再点“提交评议”即可。"),
    N_("正在提交…"),
    N_("网络已恢复，可以提交。"),
    N_("已恢复本页上次未提交的 {count} 项评价，请检查后继续。"),
    N_("已输入 {count} / {max} 字"),
    N_("还有 {count} 项必答未作答，已为您跳到第一项。"),
    # static/codes.js
    N_("正在生成{count} 个访问码和二维码纸条，预计约 {seconds} 秒，请勿关闭页面…"),
    N_("正在生成{count} 个访问码，预计约 {seconds} 秒，请勿关闭页面…"),
    N_("已开始下载。请妥善保存下载的文件。"),
    # static/jobs.js
    N_("已完成"),
    N_("下载"),
    N_("生成失败"),
    N_("{message}（{percent}%）"),
    # static/participation.js
    N_("参评 {used} / {issued}"),
    N_("（{rate}）"),
)


def select_locale() -> str:
    """The visitor's chosen language, else the configured default."""
    if request:
        chosen = request.cookies.get(COOKIE)
        if chosen in LANGUAGES:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask, plugin_directories=()) -> None:
    """Babel for the app: the core's catalogues first, then each plugin's."""
    if app.config["BABEL_DEFAULT_LOCALE"] not in LANGUAGES:
        raise RuntimeError(f"BABEL_DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}, "
                           f"not {app.config['BABEL_DEFAULT_LOCALE']!r}")
    directories = [str(TRANSLATIONS), *(str(d) for d in plugin_directories)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    # One Babel per app: its translations cache must not outlive the app (tests build
    # apps with other plugins' catalogues in one process).
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _languages():
        from flask_babel import get_locale

        language = str(get_locale())
        return {"LANGUAGES": LANGUAGES, "current_language": language,
                "js_translations": (_js_translations if language != "zh" else dict)}


def _js_translations() -> dict[str, str]:
    return {message: gettext(message) for message in JS_MESSAGES}
