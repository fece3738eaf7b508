"""Transactional emails rendered from templates/emails/<name>.txt and .html in one locale."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from app.i18n import gettext
from app.messaging.email import OutgoingEmail


def compose_email(
    env: Environment, *, name: str, to: str, subject: str, locale: str, **context: Any
) -> OutgoingEmail:
    """Render both parts of a transactional email; `subject` is French source text."""
    context = {**context, "locale": locale}
    text = env.get_template(f"emails/{name}.txt").render(context)
    html = env.get_template(f"emails/{name}.html").render(context)
    return OutgoingEmail(to=to, subject=gettext(locale, subject), text=text, html=html)
