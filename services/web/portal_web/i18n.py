"""The page's translations, looked up once per page instead of once per sentence.

Flask-Babel's template `_()` asks for the request's locale and catalogue at every call (a dozen lookups on `g`
and a `Locale` turned into text, two dozen times a page: a third of a page's rendering). A page gets the same
callables bound to its catalogue instead; they behave as Jinja's "newstyle" gettext (escaped in autoescaped
templates, `%(name)s` filled from keyword arguments). Macros imported without the page's context keep
Flask-Babel's, which answer the same."""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup


def page_callables() -> dict[str, Any]:
    """`gettext`, `_` and `ngettext` for one page, bound to its catalogue."""
    catalogue: NullTranslations = get_translations()

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        return _filled(context, catalogue.ugettext(message), variables)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return _filled(context, catalogue.ungettext(singular, plural, num), variables)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def _filled(context: Context, text: str, variables: dict[str, Any]) -> str:
    """The translated text with its values, escaped as the page is (Markup escapes what `%` fills in)."""
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # our own catalogue's text, as Jinja's gettext trusts it
    return text % variables
