"""Log in and sign up through an OpenID Connect provider.

An identity is known by its `(issuer, subject)`. A login whose identity is not linked yet never
links it by itself: when an account already uses the address, the visitor must give that
account's password (and pass its second factor) first; the identity waits in the session as a
`ProviderLink` meanwhile (see app.accounts.service.providers). Accounts without a password link
providers from their account page only. A newcomer gets no account until they name their
company; until then the verified identity waits in the session as a `PendingSignup`.

Until the provider answers, nothing is stored on the server: the pending login travels in an
encrypted cookie (`seal_pending_login`), and its state can be used once (`SingleUse`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app import limits
from app.accounts import rules
from app.accounts.oidc import (
    OidcError,
    OidcIdentity,
    OidcProvider,
    begin_login,
    complete_login,
)
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.service.auth import SIGNUP_RACE
from app.accounts.service.signup import create_verified_account, valid_siren
from app.accounts.tables import ExternalIdentity, User
from app.clock import Clock
from app.db import unique_violation_as
from app.errors import N_, DomainError
from app.once import SingleUse
from app.security import DataKeys, UnreadableSecret

logger = logging.getLogger(__name__)

PENDING_LOGIN_TTL = timedelta(minutes=10)
PENDING_LOGIN_PURPOSE = "oidc-pending"
PENDING_SIGNUP_TTL = timedelta(minutes=30)
PENDING_LINK_TTL = timedelta(minutes=10)
USED_STATE = "oidc-state"

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
LOG_IN_AS_USUAL = N_(
    "Un compte Ponctuel utilise déjà cette adresse et se connecte avec un autre fournisseur. "
    "Connectez-vous comme d'habitude, puis reliez %(provider)s depuis « Mon compte »."
)


class Intent(StrEnum):
    """Why a provider login was started: to log in (or sign up), or to link an account."""

    LOGIN = "login"
    LINK = "link"


@dataclass(frozen=True)
class PendingProviderLogin:
    """A login sent to the provider and not back yet; kept in an encrypted cookie."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_url: str
    intent: str
    user_id: int  # the account to link (intent "link"), else 0
    started_at: str

    def for_provider(self) -> dict[str, str]:
        """What `complete_login` checks the provider's answer against."""
        return {
            "provider": self.provider,
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
        }


def seal_pending_login(pending: PendingProviderLogin, *, keys: DataKeys) -> str:
    """The pending login as an authenticated ciphertext, safe to hand to the browser."""
    return keys.encrypt(json.dumps(asdict(pending)), purpose=PENDING_LOGIN_PURPOSE)


def open_pending_login(
    sealed: str | None, *, keys: DataKeys, now: datetime
) -> PendingProviderLogin | None:
    """The pending login of a cookie, or None when absent, forged, malformed or stale."""
    if not sealed:
        return None
    try:
        data = json.loads(keys.decrypt(sealed, purpose=PENDING_LOGIN_PURPOSE))
    except (UnreadableSecret, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    names = PendingProviderLogin.__dataclass_fields__
    values = {name: data.get(name) for name in names}
    if not isinstance(values["user_id"], int) or not all(
        isinstance(value, str) for name, value in values.items() if name != "user_id"
    ):
        return None
    pending = PendingProviderLogin(**values)  # type: ignore[arg-type]
    if pending.intent not in set(Intent) or not _is_fresh(
        pending.started_at, now, PENDING_LOGIN_TTL
    ):
        return None
    return pending


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
        if not _is_fresh(signup.started_at, now, PENDING_SIGNUP_TTL):
            return None
        return signup


@dataclass(frozen=True)
class ProviderLink:
    """An identity waiting to be linked to `user_id` once that account's owner has proven it."""

    user_id: int
    provider: str
    issuer: str
    subject: str
    email: str
    next_url: str
    started_at: str

    def to_session(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object, *, now: datetime) -> ProviderLink | None:
        """The link waiting in the session, or None when absent, malformed or stale."""
        if not isinstance(data, Mapping):
            return None
        values = {name: data.get(name) for name in cls.__dataclass_fields__}
        if not isinstance(values["user_id"], int) or not all(
            isinstance(value, str) for name, value in values.items() if name != "user_id"
        ):
            return None
        link = cls(**values)  # type: ignore[arg-type]
        if not (link.provider and link.issuer and link.subject):
            return None
        if not _is_fresh(link.started_at, now, PENDING_LINK_TTL):
            return None
        return link


@dataclass(frozen=True)
class ProviderLogin:
    """Where a successful provider login leads: an existing user, a signup, or a link to prove."""

    user: User | None = None
    signup: PendingSignup | None = None
    link: ProviderLink | None = None


async def start_provider_login(
    *,
    provider: OidcProvider,
    redirect_uri: str,
    next_url: str,
    clock: Clock,
    intent: Intent,
    user_id: int,  # the account a link is for; 0 for a login
    ip: str,
    user_agent: str,
) -> tuple[str, PendingProviderLogin]:
    """The provider's authorization URL and the pending login to keep until it answers."""
    try:
        url, login = await begin_login(
            provider=provider, redirect_uri=redirect_uri, now=clock.now()
        )
    except OidcError as error:
        logger.warning("OIDC login with %s cannot start: %r", provider.name, str(error)[:300])
        await record_failure(error.reason, clock=clock, ip=ip, user_agent=user_agent)
        raise DomainError(LOGIN_FAILED) from error
    pending = PendingProviderLogin(
        provider=login["provider"],
        state=login["state"],
        nonce=login["nonce"],
        code_verifier=login["code_verifier"],
        redirect_uri=login["redirect_uri"],
        next_url=next_url if len(next_url) <= limits.URL_PATH else "",
        intent=intent,
        user_id=user_id,
        started_at=clock.now().isoformat(),
    )
    return url, pending


async def log_in_with_provider(
    *,
    provider: OidcProvider,
    pending: PendingProviderLogin | None,
    params: Mapping[str, str],
    single_use: SingleUse,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> ProviderLogin:
    """Verify the provider's answer, then find or prepare the account it belongs to.

    `pending` must already be gone from the browser. Every refusal is a `DomainError` whose
    message may use `%(provider)s`, and is recorded in the audit log as `login_failed`.
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
    next_url = pending.next_url if pending else ""
    user = await _linked_user(identity)
    if user is not None:
        return ProviderLogin(user=user)
    if not identity.email or not identity.email_verified:
        await record_failure(
            "email_not_verified", clock=clock, ip=ip, user_agent=user_agent, email=identity.email
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
        await record_failure(
            "account_not_verified", clock=clock, ip=ip, user_agent=user_agent, email=user.email
        )
        raise DomainError(ACCOUNT_NOT_VERIFIED)
    if user.password_hash is None:
        await record_failure(
            "account_without_password", clock=clock, ip=ip, user_agent=user_agent, email=user.email
        )
        raise DomainError(LOG_IN_AS_USUAL)
    link = ProviderLink(
        user_id=user.id,
        provider=provider.name,
        issuer=identity.issuer,
        subject=identity.subject,
        email=identity.email,
        next_url=next_url,
        started_at=clock.now().isoformat(),
    )
    return ProviderLogin(link=link)


async def register_with_provider(
    *,
    signup: PendingSignup,
    full_name: str,
    organisation_name: str,
    siren: str,
    locale: str,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> User:
    """Create the account of a verified newcomer: user (no password), organisation, ownership.

    The address counts as confirmed because the provider vouched for it. When a confirmed
    organisation already holds the SIREN, the account is created without an organisation and
    the dashboard tells the newcomer so (as for a signup confirmed by email).
    """
    siren = valid_siren(siren)
    if await User.exists().where(User.email == signup.email):
        raise DomainError(EMAIL_TAKEN)
    now = clock.now()
    async with unique_violation_as(lambda: DomainError(SIGNUP_RACE)), User._meta.db.transaction():
        account = await create_verified_account(
            email=signup.email,
            full_name=full_name,
            password_hash=None,
            locale=locale,
            organisation_name=organisation_name,
            siren=siren,
            now=now,
        )
        user = account.user
        await ExternalIdentity(
            user=user.id,
            provider=signup.provider,
            issuer=signup.issuer,
            subject=signup.subject,
            email=signup.email,
            created_at=now,
        ).save()
    await record_event(
        action=AuditAction.SIGNUP,
        clock=clock,
        user_id=user.id,
        organisation_id=account.organisation_id,
        actor_email=signup.email,
        target=f"oidc:{signup.provider}",
        ip=ip,
        user_agent=user_agent,
    )
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None  # noqa: S101 (created just above)
    return refreshed


async def verified_identity(
    *,
    provider: OidcProvider,
    pending: PendingProviderLogin | None,
    params: Mapping[str, str],
    single_use: SingleUse,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> OidcIdentity:
    """The identity the provider vouches for; each pending login is answered at most once."""
    try:
        if pending is not None and not await single_use.claim(
            USED_STATE, pending.state, ttl_seconds=int(PENDING_LOGIN_TTL.total_seconds())
        ):
            raise OidcError("state_reused")
        return await complete_login(
            provider=provider,
            pending=pending.for_provider() if pending else None,
            params=params,
            now=clock.now(),
        )
    except OidcError as error:
        logger.warning("OIDC login with %s failed: %r", provider.name, str(error)[:300])
        await record_failure(error.reason, clock=clock, ip=ip, user_agent=user_agent)
        raise DomainError(LOGIN_FAILED) from error


def _is_fresh(started_at: str, now: datetime, ttl: timedelta) -> bool:
    try:
        started = datetime.fromisoformat(started_at)
    except ValueError:
        return False
    return started.tzinfo is not None and rules.started_within(started, now=now, within=ttl)


async def identity_holder(issuer: str, subject: str) -> int | None:
    """The id of the account an identity is linked to, if any."""
    row = (
        await ExternalIdentity.select(ExternalIdentity.user)
        .where((ExternalIdentity.issuer == issuer) & (ExternalIdentity.subject == subject))
        .first()
    )
    return int(row["user"]) if row else None


async def _linked_user(identity: OidcIdentity) -> User | None:
    holder = await identity_holder(identity.issuer, identity.subject)
    if holder is None:
        return None
    return await User.objects().get(User.id == holder)


async def record_failure(
    reason: str,
    *,
    clock: Clock,
    ip: str,
    user_agent: str,
    email: str = "",
    user_id: int | None = None,
    organisation_id: int | None = None,
) -> None:
    """A refused provider login or link; the account and organisation when one was proven."""
    await record_event(
        action=AuditAction.LOGIN_FAILED,
        clock=clock,
        user_id=user_id,
        organisation_id=organisation_id,
        actor_email=email,
        target=f"oidc:{reason}",
        ip=ip,
        user_agent=user_agent,
        is_success=False,
    )
