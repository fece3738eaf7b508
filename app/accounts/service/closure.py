"""Closing an account: what goes with it, what stands in its way, and the closing itself.

The user's row goes, and with it their memberships, login links, codes and pending
requests. An organisation nobody else belongs to goes too, which frees its SIREN. An
organisation the user is the last owner of, while colleagues remain, would be left without
anyone to run it: the closing is refused until another owner is named or the others leave.
The audit log keeps the closing, under the address the account had.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.rules import ACCOUNT_GONE, WRONG_PASSWORD, InvalidEmail, Role, normalise_email
from app.accounts.service.attempts import AccountChecks, CheckKind
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import Membership, Organisation, User
from app.clock import Clock
from app.errors import N_, Conflict, DomainError, NotFound
from app.security import Passwords

LAST_OWNER = N_(
    "Vous êtes le dernier propriétaire d'une entreprise qui compte d'autres membres : "
    "nommez d'abord un autre propriétaire, ou retirez ces membres."
)
NOT_THIS_EMAIL = N_("Ce n'est pas l'adresse e-mail de ce compte.")


@dataclass(frozen=True)
class Closure:
    """What closing the account would do, or did."""

    email: str
    full_name: str
    locale: str
    deleted: list[str]  # names of the organisations only this user belongs to: they go too
    blocking: list[str]  # names of those the user is the last owner of, with others in them
    deleted_ids: list[int]


async def closure_of(user_id: int) -> Closure:
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise NotFound(ACCOUNT_GONE)
    return await _closure_for(user)


async def _closure_for(user: User) -> Closure:
    user_id = user.id
    deleted: list[tuple[str, int]] = []
    blocking: list[str] = []
    memberships = await Membership.select(
        Membership.organisation, Membership.organisation.name, Membership.role
    ).where(Membership.user == user_id)
    for row in memberships:
        organisation_id = row["organisation"]
        others = await Membership.count().where(
            (Membership.organisation == organisation_id) & (Membership.user != user_id)
        )
        other_owners = await Membership.count().where(
            (Membership.organisation == organisation_id)
            & (Membership.user != user_id)
            & (Membership.role == Role.OWNER)
        )
        if others == 0:
            deleted.append((row["organisation.name"], organisation_id))
        elif row["role"] == Role.OWNER and other_owners == 0:
            blocking.append(row["organisation.name"])
    deleted.sort()
    return Closure(
        user.email,
        user.full_name,
        user.locale,
        deleted=[name for name, _ in deleted],
        blocking=sorted(blocking),
        deleted_ids=[organisation_id for _, organisation_id in deleted],
    )


async def close_account(
    *,
    user_id: int,
    password: str,
    confirm_email: str,
    passwords: Passwords,
    checks: AccountChecks,
    clock: Clock,
) -> Closure:
    """Delete the account after its password (or, without one, its address typed again)."""
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise NotFound(ACCOUNT_GONE)
    if user.password_hash:
        async with checks.attempt(user, CheckKind.CURRENT_PASSWORD):
            if not await passwords.verify(user.password_hash, password):
                raise DomainError(WRONG_PASSWORD, field="password")
    elif _typed(confirm_email) != user.email:
        raise DomainError(NOT_THIS_EMAIL, field="confirm_email")
    async with User._meta.db.transaction():
        closure = await _closure_for(user)
        if closure.blocking:
            raise Conflict(LAST_OWNER)
        if closure.deleted_ids:
            await Organisation.delete().where(Organisation.id.is_in(closure.deleted_ids))
        await User.delete().where(User.id == user_id)
        await record_event(
            action=AuditAction.ACCOUNT_CLOSED,
            clock=clock,
            actor_email=user.email,
            target="",
            ip=checks.ip,
            user_agent=checks.user_agent,
        )
    return closure


def _typed(text: str) -> str:
    try:
        return normalise_email(text)
    except InvalidEmail:
        return ""
