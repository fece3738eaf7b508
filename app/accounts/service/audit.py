"""The security audit log: append-only events (UTC instant, who, what, where, target)."""

from __future__ import annotations

from app.accounts.tables import AuditEvent
from app.clock import Clock


async def record_event(
    *,
    action: str,
    clock: Clock,
    user_id: int | None = None,
    organisation_id: int | None = None,
    actor_email: str,
    target: str,
    ip: str,
    user_agent: str,
    is_success: bool = True,
) -> None:
    """Append one security event to the audit log.

    Who acted, on what and from where are required: an event recorded without them cannot be
    told from another in an investigation, so a call that forgets one does not type-check.
    Pass "" only where there is truly nothing, such as the address of a command-line action.
    """
    await AuditEvent.insert(
        AuditEvent(
            action=action,
            user=user_id,
            organisation=organisation_id,
            actor_email=actor_email[:254],
            target=target[:254],
            ip=ip[:64],
            user_agent=user_agent[:300],
            is_success=is_success,
            created_at=clock.now(),
        )
    )
