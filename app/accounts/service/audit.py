"""The security audit log: append-only events (UTC instant, who, what, where, target)."""

from __future__ import annotations

from enum import StrEnum

from app import limits
from app.accounts.tables import AuditEvent
from app.clock import Clock


class AuditAction(StrEnum):
    """Every kind of event the audit log records; each one has its words in the UI."""

    SIGNUP = "signup"
    EMAIL_VERIFIED = "email_verified"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105
    PASSWORD_RESET = "password_reset"  # noqa: S105
    PASSWORD_CHANGED = "password_changed"  # noqa: S105
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    ACCOUNT_LOCKED = "account_locked"
    OIDC_LINKED = "oidc_linked"
    OIDC_UNLINKED = "oidc_unlinked"
    ORGANISATION_CREATED = "organisation_created"
    MEMBER_INVITED = "member_invited"
    INVITATION_REVOKED = "invitation_revoked"
    MEMBER_ADDED = "member_added"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    MEMBER_REMOVED = "member_removed"
    SIREN_CLAIM_FILED = "siren_claim_filed"
    SIREN_CLAIM_ACCEPTED = "siren_claim_accepted"
    SIREN_CLAIM_REJECTED = "siren_claim_rejected"
    SIREN_WITHDRAWN = "siren_withdrawn"
    PLATFORM_ADMIN_GRANTED = "platform_admin_granted"
    PLATFORM_ADMIN_REVOKED = "platform_admin_revoked"
    ACCOUNT_CLOSED = "account_closed"


async def record_event(
    *,
    action: AuditAction,
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
            actor_email=actor_email[: limits.EMAIL],
            target=target[: limits.AUDIT_TARGET],
            ip=ip[: limits.IP_ADDRESS],
            user_agent=user_agent[: limits.USER_AGENT],
            is_success=is_success,
            created_at=clock.now(),
        )
    )
