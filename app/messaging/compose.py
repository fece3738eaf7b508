"""Transactional emails rendered from templates/emails/<name>.txt and .html in one locale."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment

from app.i18n import gettext


@dataclass(frozen=True)
class OutgoingEmail:
    """A composed message, ready for SMTP."""

    to: str
    subject: str
    text: str
    html: str | None = None


def strip_control_characters(value: str) -> str:
    """The text without CR, LF, NUL or any other control character.

    Values end up in a plain-text body and in headers: a line break inside a name would let
    whoever chose the name write lines of their own (a `Bcc:` line, a fake link).
    """
    return "".join(
        char
        for char in value
        if unicodedata.category(char) not in {"Cc", "Cs"} and char not in "\u2028\u2029"
    )


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(item) for item in value)
    return value


def compose_email(
    env: Environment, *, name: str, to: str, subject: str, locale: str, **context: Any
) -> OutgoingEmail:
    """Render both parts of a transactional email; `subject` is French source text.

    Every text value of the context is stripped of control characters first.
    """
    context = {"recipient_name": "", **_clean(context), "locale": locale}
    text = env.get_template(f"emails/{name}.txt").render(context)
    html = env.get_template(f"emails/{name}.html").render(context)
    subject_text = strip_control_characters(gettext(locale, subject))
    return OutgoingEmail(
        to=strip_control_characters(to), subject=subject_text, text=text, html=html
    )
