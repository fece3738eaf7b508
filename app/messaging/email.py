"""Email over SMTP with aiosmtplib: build a MIME message, send it."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from app.settings import Settings


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None


class EmailDeliveryError(Exception):
    """The SMTP server could not be reached or refused the message (a retry may succeed)."""


def build_message(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


async def send_email(email: OutgoingEmail, *, settings: Settings) -> None:
    """Deliver one message through the configured SMTP server."""
    message = build_message(email, sender=settings.mail_from)
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            start_tls=settings.smtp_use_tls,
            timeout=30,
        )
    except (aiosmtplib.SMTPException, OSError) as error:
        raise EmailDeliveryError(str(error)) from error
