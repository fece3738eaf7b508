"""Link sign-in providers to an account, and unlink them.

Linking always needs the account's owner to prove themselves again: the password, or for
accounts without one a login of the last 15 minutes (from the account page), or the password
and then the second factor (when a provider login found the account by its address). An
identity belongs to one account only, and the last way to log in cannot be removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.accounts import rules
from app.accounts.oidc import OidcProvider
from app.accounts.service.attempts import AccountChecks, CheckKind
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.service.oidc import (
    Intent,
    PendingProviderLogin,
    ProviderLink,
    identity_holder,
    record_failure,
    start_provider_login,
    verified_identity,
)
from app.accounts.tables import ExternalIdentity, User
from app.clock import Clock
from app.db import is_unique_violation
from app.errors import N_, Conflict, DomainError, NotFound, Text
from app.once import SingleUse
from app.security import Passwords

RECENT_LOGIN = timedelta(minutes=15)

LINK_EXPIRED = N_("La liaison avec %(provider)s a expiré. Recommencez depuis « Mon compte ».")
LINKED_ELSEWHERE = N_(
    "Cette identité est déjà reliée à un autre compte Ponctuel : elle ne peut pas être reliée "
    "au vôtre."
)
ALREADY_LINKED = N_("%(provider)s est déjà relié à votre compte.")
LOG_IN_AGAIN = N_(
    "Pour relier un fournisseur, reconnectez-vous d'abord : votre dernière connexion date de "
    "plus de 15 minutes."
)
LAST_SIGN_IN_METHOD = N_(
    "C'est votre seul moyen de vous connecter : reliez un autre fournisseur ou choisissez un "
    "mot de passe avant de dissocier celui-ci."
)
IDENTITY_NOT_FOUND = N_("Ce fournisseur n'est pas relié à votre compte.")


@dataclass(frozen=True)
class LinkChange:
    """A provider linked to or removed from an account: whom to tell, in which language."""

    user_id: int
    email: str
    locale: str
    provider: str
    changed: bool = True  # False when the identity was already linked to this account


def is_recent_login(authenticated_at: datetime, *, now: datetime) -> bool:
    """Whether a session's login is recent enough to link a provider without a password."""
    return rules.started_within(authenticated_at, now=now, within=RECENT_LOGIN)


async def start_provider_link(
    *,
    provider: OidcProvider,
    redirect_uri: str,
    user_id: int,
    password: str,
    authenticated_at: datetime,
    passwords: Passwords,
    checks: AccountChecks,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> tuple[str, PendingProviderLogin]:
    """Start linking `provider` to a logged-in account, once its owner has proven it again.

    Accounts with a password give it (counted against the account's current-password
    allowance); accounts without one must have logged in recently.
    """
    user = await _user(user_id)
    if user.password_hash is not None:
        async with checks.attempt(user, CheckKind.CURRENT_PASSWORD):
            if not await passwords.verify(user.password_hash, password):
                raise DomainError(rules.WRONG_PASSWORD, field="password")
    elif not is_recent_login(authenticated_at, now=clock.now()):
        raise DomainError(LOG_IN_AGAIN)
    if await ExternalIdentity.exists().where(
        (ExternalIdentity.user == user_id) & (ExternalIdentity.provider == provider.name)
    ):
        raise Conflict(Text(ALREADY_LINKED, provider=provider.label))
    return await start_provider_login(
        provider=provider,
        redirect_uri=redirect_uri,
        next_url="",
        clock=clock,
        intent=Intent.LINK,
        user_id=user_id,
        ip=ip,
        user_agent=user_agent,
    )


async def prove_link_with_password(
    *,
    link: ProviderLink,
    password: str,
    passwords: Passwords,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> User:
    """The account a waiting link belongs to, once its password is given (nothing is saved).

    The caller goes on to the second factor, if any, and saves the link when the session opens.
    """
    user = await User.objects().get(User.id == link.user_id)
    if user is None or not await passwords.verify(user.password_hash, password):
        await record_failure(
            "link_wrong_password",
            clock=clock,
            ip=ip,
            user_agent=user_agent,
            email=user.email if user else link.email,
        )
        raise DomainError(rules.WRONG_PASSWORD, field="password")
    return user


async def link_from_account(
    *,
    provider: OidcProvider,
    pending: PendingProviderLogin | None,
    params: Mapping[str, str],
    user_id: int | None,
    single_use: SingleUse,
    clock: Clock,
    organisation_id: int | None = None,
    ip: str,
    user_agent: str,
) -> LinkChange:
    """Finish a link started from the account page: the provider's identity joins `user_id`.

    The logged-in user must be the one who started it.
    """
    identity = await verified_identity(
        provider=provider,
        pending=pending,
        params=params,
        single_use=single_use,
        clock=clock,
        ip=ip,
        user_agent=user_agent,
    )
    if pending is None or user_id is None or pending.user_id != user_id:
        raise DomainError(LINK_EXPIRED)
    return await link_identity(
        user_id=user_id,
        provider=identity.provider,
        issuer=identity.issuer,
        subject=identity.subject,
        email=identity.email,
        clock=clock,
        organisation_id=organisation_id,
        ip=ip,
        user_agent=user_agent,
    )


async def link_identity(
    *,
    user_id: int,
    provider: str,
    issuer: str,
    subject: str,
    email: str,
    clock: Clock,
    organisation_id: int | None = None,
    ip: str,
    user_agent: str,
) -> LinkChange:
    """Attach a provider identity to an account; refused when another account holds it.

    Linking an identity the account already holds changes nothing (`changed` is false).
    """
    user = await _user(user_id)
    holder = await identity_holder(issuer, subject)
    if holder is None:
        try:
            await ExternalIdentity(
                user=user.id,
                provider=provider,
                issuer=issuer,
                subject=subject,
                email=email,
                created_at=clock.now(),
            ).save()
        except Exception as error:  # a concurrent request linked it first
            if not is_unique_violation(error):
                raise
            holder = await identity_holder(issuer, subject)
    if holder is not None and holder != user.id:
        await record_failure(
            "linked_elsewhere",
            clock=clock,
            ip=ip,
            user_agent=user_agent,
            email=user.email,
            user_id=user.id,
            organisation_id=organisation_id,
        )
        raise Conflict(LINKED_ELSEWHERE)
    change = LinkChange(user.id, user.email, user.locale, provider, changed=holder is None)
    if change.changed:
        await record_event(
            action=AuditAction.OIDC_LINKED,
            clock=clock,
            user_id=user.id,
            organisation_id=organisation_id,
            actor_email=user.email,
            target=f"oidc:{provider}",
            ip=ip,
            user_agent=user_agent,
        )
    return change


async def unlink_identity(
    *,
    user_id: int,
    identity_id: int,
    clock: Clock,
    organisation_id: int | None = None,
    ip: str,
    user_agent: str,
) -> LinkChange:
    """Remove one of the account's provider identities, unless it is the last way to log in."""
    user = await _user(user_id)
    async with User._meta.db.transaction():
        # An update that changes nothing locks the user's row, so two removals for the same
        # account run one after the other and cannot both see "another method remains".
        await User.update({User.session_epoch: User.session_epoch + 0}).where(User.id == user.id)
        link = await ExternalIdentity.objects().get(
            (ExternalIdentity.id == identity_id) & (ExternalIdentity.user == user.id)
        )
        if link is None:
            raise NotFound(IDENTITY_NOT_FOUND)
        count = await ExternalIdentity.count().where(ExternalIdentity.user == user.id)
        if not rules.can_unlink_provider(
            has_password=user.password_hash is not None, linked_providers=count
        ):
            raise DomainError(LAST_SIGN_IN_METHOD)
        await ExternalIdentity.delete().where(ExternalIdentity.id == link.id)
    await record_event(
        action=AuditAction.OIDC_UNLINKED,
        clock=clock,
        user_id=user.id,
        organisation_id=organisation_id,
        actor_email=user.email,
        target=f"oidc:{link.provider}",
        ip=ip,
        user_agent=user_agent,
    )
    return LinkChange(user.id, user.email, user.locale, link.provider)


async def _user(user_id: int) -> User:
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise NotFound(rules.ACCOUNT_GONE)
    return user
