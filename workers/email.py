"""Deliver one transactional email; retry with backoff while the SMTP server is unreachable."""

from __future__ import annotations

from typing import Any

from arq import Retry

from app.messaging.email import EmailDeliveryError, OutgoingEmail
from app.messaging.email import send_email as deliver


async def send_email(ctx: dict[str, Any], email: dict[str, Any]) -> None:
    try:
        await deliver(OutgoingEmail(**email), settings=ctx["settings"])
    except EmailDeliveryError as error:
        raise Retry(defer=ctx["job_try"] * 5) from error
