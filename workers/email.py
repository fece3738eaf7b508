"""Deliver one queued email; retry with backoff while the SMTP server is unreachable."""

from __future__ import annotations

from typing import Any

from arq import Retry

from app.accounts.queries import name_for_address
from app.messaging.email import EmailDeliveryError, QueuedEmail, deliver_queued_email


async def send_email(ctx: dict[str, Any], email: dict[str, Any]) -> None:
    queued = QueuedEmail(**email)
    if "recipient_name" not in queued.context:  # greet the account's holder by name
        queued.context["recipient_name"] = await name_for_address(queued.to)
    try:
        await deliver_queued_email(
            queued,
            env=ctx["templates"],
            settings=ctx["settings"],
            limiter=ctx["limiter"],
            first_try=ctx["job_try"] == 1,
        )
    except EmailDeliveryError as error:
        raise Retry(defer=ctx["job_try"] * 5) from error
