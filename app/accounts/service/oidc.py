"""Log in or sign up through an OpenID Connect provider.

An identity is known by its `(issuer, subject)`. The first time it is seen, it is linked to the
account with the same address only when the provider vouches for that address
(`email_verified`) and the account's own address has been confirmed: linking on an unverified
address would hand an account to whoever typed it first. A newcomer gets no account until they
name their company; until then the verified identity waits in the session as a `PendingSignup`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from app.accounts.oidc import (
    OidcError,
    OidcIdentity,
    OidcProvider,
    begin_login,
    complete_login,
)
from app.accounts.service.audit import record_event
from app.accounts.service.auth import (
    SIGNUP_RACE,
    create_owner_account,
    ensure_siren_free,
    valid_siren,
)
from app.accounts.tables import ExternalIdentity, User
from app.clock import Clock
from app.db import is_unique_violation, unique_violation_as
from app.errors import N_, DomainError

logger = logging.getLogger(__name__)

PENDING_SIGNUP_TTL = timedelta(minutes=30)

LOGIN_FAILED = N_("La connexion avec %(provider)s a échoué. Réessayez.")
EMAIL_NOT_VERIFIED = N_(
    "%(provider)s ne confirme pas votre adresse e-mail : nous ne pouvons pas vous connecter "
    "ainsi. Connectez-vous avec votre mot de passe ou créez un compte."
)
ACCOUNT_NOT_VERIFIED = N_(
    "Un compte Ponctuel utilise cette adresse mais ne l'a pas encore confirmée. Cliquez d'abord "
    "sur le lien de confirmation reçu par e-mail, puis reconnectez-vous avec %(provider)s."
)
EMAIL_TAKEN = N_(
    "Un compte utilise déjà cette adresse e-mail : reconnectez-vous avec %(provider)s pour y "
    "accéder."
)


@dataclass(frozen=True)
class PendingSignup:
    """A verified identity that has no account yet, kept in the session until the form is sent."""

    provider: str
    issuer: str
    subject: str
    email: str
    name: str
    next_url: str
    started_at: str

    def to_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object, *, now: datetime) -> PendingSignup | None:
        """The pending signup stored in the session, or None when absent, malformed or stale."""
        if not isinstance(data, Mapping):
            return None
        values = {name: data.get(name) for name in cls.__dataclass_fields__}
        if not all(isinstance(value, str) for value in values.values()):
            return None
        signup = cls(**values)  # type: ignore[arg-type]
        if not (signup.provider and signup.issuer and signup.subject and signup.email):
            return None
        try:
            started_at = datetime.fromisoformat(signup.started_at)
        except ValueError:
            return None
        if started_at.tzinfo is None or now - started_at > PENDING_SIGNUP_TTL:
            return None
        return signup


@dataclass(frozen=True)
class ProviderLogin:
    """Where a successful provider login leads: an existing user, or a signup to complete."""

    user: User | None = None
    signup: PendingSignup | None = None


async def start_provider_login(
    *,
    provider: OidcProvider,
    redirect_uri: str,
    clock: Clock,
    ip: str = "",
    user_agent: str = "",
) -> tuple[str, dict[str, str]]:
    """The provider's authorization URL and the `pending` login to keep in the session."""
    try:
        return await begin_login(provider=provider, redirect_uri=redirect_uri, now=clock.now())
    except OidcError as error:
        logger.warning("OIDC login with %s cannot start: %r", provider.name, str(error)[:300])
        await _record_failure(error.reason, clock=clock, ip=ip, user_agent=user_agent)
        raise DomainError(LOGIN_FAILED) from error


async def log_in_with_provider(
    *,
    provider: OidcProvider,
    pending: dict[str, str] | None,
    params: Mapping[str, str],
    next_url: str,
    clock: Clock,
    ip: str = "",
    user_agent: str = "",
) -> ProviderLogin:
    """Verify the provider's answer, then find, link, or prepare the account it belongs to.

    `pending` must already be removed from the session. Every refusal is a `DomainError` whose
    message may use `%(provider)s`, and is recorded in the audit log as `login_failed`.
    """
    try:
        identity = await complete_login(
            provider=provider, pending=pending, params=params, now=clock.now()
        )
    except OidcError as error:
        logger.warning("OIDC login with %s failed: %r", provider.name, str(error)[:300])
        await _record_failure(error.reason, clock=clock, ip=ip, user_agent=user_agent)
        raise DomainError(LOGIN_FAILED) from error

    user = await _linked_user(identity)
    if user is not None:
        return ProviderLogin(user=user)
    if not identity.email or not identity.email_verified:
        await _record_failure(
            "email_not_verified",
            clock=clock,
            ip=ip,
            user_agent=user_agent,
            email=identity.email,
        )
        raise DomainError(EMAIL_NOT_VERIFIED)

    user = await User.objects().get(User.email == identity.email)
    if user is None:
        signup = PendingSignup(
            provider=provider.name,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            name=identity.name,
            next_url=next_url,
            started_at=clock.now().isoformat(),
        )
        return ProviderLogin(signup=signup)
    if user.email_verified_at is None:
        await _record_failure(
            "account_not_verified",
            clock=clock,
            ip=ip,
            user_agent=user_agent,
            email=identity.email,
        )
        raise DomainError(ACCOUNT_NOT_VERIFIED)
    return ProviderLogin(
        user=await _link(user, identity, clock=clock, ip=ip, user_agent=user_agent)
    )


async def register_with_provider(
    *,
    signup: PendingSignup,
    full_name: str,
    organisation_name: str,
    siren: str,
    locale: str,
    clock: Clock,
    ip: str = "",
    user_agent: str = "",
) -> User:
    """Create the account of a verified newcomer: user (no password), organisation, ownership.

    The address counts as confirmed because the provider vouched for it.
    """
    siren = valid_siren(siren)
    if await User.exists().where(User.email == signup.email):
        raise DomainError(EMAIL_TAKEN)
    await ensure_siren_free(siren)
    now = clock.now()
    async with unique_violation_as(lambda: DomainError(SIGNUP_RACE)), User._meta.db.transaction():
        user, organisation = await create_owner_account(
            email=signup.email,
            full_name=full_name,
            password_hash=None,
            email_verified_at=now,
            locale=locale,
            organisation_name=organisation_name,
            siren=siren,
            now=now,
        )
        await ExternalIdentity(
            user=user.id,
            provider=signup.provider,
            issuer=signup.issuer,
            subject=signup.subject,
            email=signup.email,
            created_at=now,
        ).save()
    await record_event(
        action="signup",
        clock=clock,
        user_id=user.id,
        organisation_id=organisation.id,
        actor_email=signup.email,
        target=f"oidc:{signup.provider}",
        ip=ip,
        user_agent=user_agent,
    )
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None  # noqa: S101 (created just above)
    return refreshed


async def _linked_user(identity: OidcIdentity) -> User | None:
    link = await ExternalIdentity.objects().get(
        (ExternalIdentity.issuer == identity.issuer)
        & (ExternalIdentity.subject == identity.subject)
    )
    if link is None:
        return None
    return await User.objects().get(User.id == link.user)


async def _link(
    user: User, identity: OidcIdentity, *, clock: Clock, ip: str, user_agent: str
) -> User:
    """Attach the identity to the account; a concurrent request may have done it already."""
    try:
        await ExternalIdentity(
            user=user.id,
            provider=identity.provider,
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            created_at=clock.now(),
        ).save()
    except Exception as error:
        if not is_unique_violation(error):
            raise
        linked = await _linked_user(identity)
        if linked is None:
            raise
        return linked
    await record_event(
        action="oidc_linked",
        clock=clock,
        user_id=user.id,
        actor_email=user.email,
        target=f"oidc:{identity.provider}",
        ip=ip,
        user_agent=user_agent,
    )
    return user


async def _record_failure(
    reason: str, *, clock: Clock, ip: str, user_agent: str, email: str = ""
) -> None:
    await record_event(
        action="login_failed",
        clock=clock,
        actor_email=email,
        target=f"oidc:{reason}",
        ip=ip,
        user_agent=user_agent,
        is_success=False,
    )
