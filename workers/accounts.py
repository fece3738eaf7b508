"""Account jobs: password reset emails, and the cleanup of signups never confirmed."""

from __future__ import annotations

import logging
from typing import Any

from app.accounts.service import auth, signup

logger = logging.getLogger(__name__)


async def send_password_reset(
    ctx: dict[str, Any], email: str, locale: str, ip: str = "", user_agent: str = ""
) -> bool:
    """Issue a reset link and queue its email, only when the address has an account.

    `ip` and `user_agent` (for the audit log) default to empty for jobs queued by an older web
    process during a deploy.
    """
    return await auth.send_password_reset(
        email=email,
        locale=locale,
        queue=ctx["redis"],
        base_url=ctx["settings"].base_url,
        clock=ctx["clock"],
        ip=ip,
        user_agent=user_agent,
    )


async def delete_expired_signups(ctx: dict[str, Any]) -> None:
    """Hourly: signup requests and accounts whose confirmation link expired go."""
    cleanup = await signup.delete_expired_signups(clock=ctx["clock"])
    if cleanup.requests or cleanup.accounts:
        logger.info(
            "deleted %d expired signup requests and %d unconfirmed accounts",
            cleanup.requests,
            cleanup.accounts,
        )
