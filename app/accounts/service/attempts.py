"""Per-account allowances of second-factor and current-password checks.

Limits per client address alone let a thousand addresses share the guessing of one account's
codes. These count the checks made on one account, wherever they come from: each check is
counted before it is verified (so parallel requests cannot slip past the limit), a successful
check gives its attempt back, and the attempt that crosses the limit pauses that kind of check
on the account until the window ends. That first refusal is written to the audit log and the
user gets one email about it: what happened, from which address, and what to do if it was not
them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from arq.connections import ArqRedis

from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import User
from app.clock import Clock
from app.errors import N_, AccountLocked
from app.messaging.email import queue_email
from app.ratelimit import RateLimiter

LOCKOUT_SUBJECT = N_("Vérifications de sécurité suspendues sur votre compte Ponctuel")


class CheckKind(StrEnum):
    """What is being checked; each kind has its own allowance."""

    SECOND_FACTOR = "second_factor"  # app codes and recovery codes
    CURRENT_PASSWORD = "current_password"  # noqa: S105 (the password asked again when logged in)


@dataclass(frozen=True)
class AccountChecks:
    """What counting the checks of a request needs, handed in by the route."""

    limiter: RateLimiter
    queue: ArqRedis
    clock: Clock
    limit: int  # checks per account, kind and window
    window_seconds: int
    ip: str
    user_agent: str
    organisation_id: int | None = None
    password_link: str = ""  # where the lockout notice sends someone to change their password

    @asynccontextmanager
    async def attempt(self, user: User, kind: CheckKind) -> AsyncIterator[None]:
        """Count one check of `kind` on `user`, then let the caller run it.

        Beyond the limit, AccountLocked is raised before the check runs (a right answer is
        refused too). When the check passes (the body raises nothing) its attempt is given
        back; a refused check keeps it.
        """
        now = self.clock.now()
        action = f"account_{kind.value}"
        hit = await self.limiter.hit_in_window(
            action, str(user.id), limit=self.limit, window_seconds=self.window_seconds, now=now
        )
        if not hit.allowed:
            resumes_at = hit.resets_at or now
            if hit.is_first_refusal:
                await self._notify(user, kind, at=now, resumes_at=resumes_at)
            raise AccountLocked(kind=kind.value, resumes_at=resumes_at)
        yield
        await self.limiter.refund_in_window(
            action, str(user.id), window_seconds=self.window_seconds, now=now
        )

    async def _notify(
        self, user: User, kind: CheckKind, *, at: datetime, resumes_at: datetime
    ) -> None:
        """Once per lockout: an audit event and an email to the account's address."""
        await record_event(
            action=AuditAction.ACCOUNT_LOCKED,
            clock=self.clock,
            user_id=user.id,
            organisation_id=self.organisation_id,
            actor_email=user.email,
            target=kind.value,
            ip=self.ip,
            user_agent=self.user_agent,
            is_success=False,
        )
        await queue_email(
            self.queue,
            template="account_locked",
            to=user.email,
            subject=LOCKOUT_SUBJECT,
            locale=user.locale,
            kind=kind.value,
            ip=self.ip,
            attempted_at=at,
            resumes_at=resumes_at,
            password_link=self.password_link,
        )
