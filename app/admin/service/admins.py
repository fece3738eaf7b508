"""Who administers the platform: granted from the command line, never from a web page."""

from __future__ import annotations

from app.accounts.rules import InvalidEmail, normalise_email
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import User
from app.clock import Clock
from app.errors import N_, DomainError, NotFound

CLI_ACTOR = "python -m app.admin"


async def set_platform_admin(*, email: str, is_admin: bool, clock: Clock) -> bool:
    """Grant (or withdraw) platform administration; False when nothing had to change.

    Only a confirmed account can be granted it.
    """
    try:
        address = normalise_email(email)
    except InvalidEmail as error:
        raise DomainError(N_("Saisissez une adresse e-mail valide.")) from error
    user = await User.objects().get(User.email == address)
    if user is None:
        raise NotFound(N_("Aucun compte n'utilise cette adresse e-mail."))
    if is_admin and user.email_verified_at is None:
        raise DomainError(N_("Ce compte n'a pas encore confirmé son adresse e-mail."))
    if bool(user.is_platform_admin) == is_admin:
        return False
    await User.update({User.is_platform_admin: is_admin}).where(User.id == user.id)
    await record_event(
        action=AuditAction.PLATFORM_ADMIN_GRANTED
        if is_admin
        else AuditAction.PLATFORM_ADMIN_REVOKED,
        clock=clock,
        user_id=user.id,
        actor_email=CLI_ACTOR,
        target=address,
        ip="",  # a command on the server: no client address
        user_agent="",
    )
    return True


async def platform_admins() -> list[tuple[str, bool]]:
    """Every platform administrator's address, and whether their second factor is on."""
    rows = (
        await User.select(User.email, User.totp_enabled_at)
        .where(User.is_platform_admin.eq(True))
        .order_by(User.email)
    )
    return [(row["email"], row["totp_enabled_at"] is not None) for row in rows]
