"""Account jobs: password reset emails."""

from __future__ import annotations

from typing import Any

from app.accounts.service import auth


async def send_password_reset(ctx: dict[str, Any], email: str, locale: str) -> bool:
    """Issue a reset link and queue its email, only when the address has an account."""
    return await auth.send_password_reset(
        email=email,
        locale=locale,
        queue=ctx["redis"],
        base_url=ctx["settings"].base_url,
        clock=ctx["clock"],
    )
