"""Email: queued by the app, composed, capped and sent over SMTP (aiosmtplib) by the worker.

Every email of the platform takes the same road: `queue_email` in the app, then the worker's
`send_email` job calls `deliver_queued_email`, which counts the message against its address's
hourly cap, renders it in the recipient's language and hands it to the SMTP server.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from arq.connections import ArqRedis
from jinja2 import Environment

from app.messaging.compose import OutgoingEmail, compose_email, strip_control_characters
from app.queue import enqueue
from app.ratelimit import RateLimiter
from app.settings import Settings

logger = logging.getLogger(__name__)

EMAIL_CAP_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class QueuedEmail:
    """What the app hands to the worker: a template name, its values and the recipient."""

    template: str
    to: str
    subject: str  # French source text, translated for `locale` when composed
    locale: str
    context: dict[str, Any] = field(default_factory=dict)


class EmailDeliveryError(Exception):
    """The SMTP server could not be reached or refused the message (a retry may succeed)."""


async def queue_email(
    queue: ArqRedis, *, template: str, to: str, subject: str, locale: str, **context: Any
) -> None:
    """Hand an email to the worker; it is composed and sent there, never on the request."""
    email = QueuedEmail(template=template, to=to, subject=subject, locale=locale, context=context)
    await enqueue(queue, "send_email", asdict(email))


def build_message(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = strip_control_characters(email.to)
    message["Subject"] = strip_control_characters(email.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
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


def _address_key(address: str) -> str:
    """Counters are keyed by a digest, so Redis never holds the addresses themselves."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]


async def deliver_queued_email(
    queued: QueuedEmail,
    *,
    env: Environment,
    settings: Settings,
    limiter: RateLimiter,
    first_try: bool,
) -> bool:
    """Compose and send a queued email unless its address has had its share this hour.

    Only the first try of a job is counted, so SMTP retries of one message count once.
    Returns False when the cap dropped the message.
    """
    if first_try:
        hit = await limiter.hit(
            "email_to",
            _address_key(queued.to),
            limit=settings.emails_per_address_per_hour,
            window_seconds=EMAIL_CAP_WINDOW_SECONDS,
        )
        if not hit.allowed:
            logger.warning("email %r dropped: hourly cap of its address reached", queued.template)
            return False
    email = compose_email(
        env,
        name=queued.template,
        to=queued.to,
        subject=queued.subject,
        locale=queued.locale,
        base_url=settings.base_url,
        **queued.context,
    )
    await send_email(email, settings=settings)
    return True
