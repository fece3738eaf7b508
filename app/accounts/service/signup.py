"""Signing up: nothing is reserved until the address is confirmed.

The signup form stores a `SignupRequest` (the person, the company they named, the hash of the
emailed secret). Confirming the address creates the account and, when its SIREN is still free,
the organisation with the person as owner; when a confirmed organisation holds the SIREN by
then, the account is created without one and the person is told so (they may ask a colleague
for an invitation or contest the registration with a `SirenClaim`).

`create_verified_account` is the one way an account of a confirmed person is made with the
company they named; signing up with an identity provider uses it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts import rules
from app.accounts.rules import Role
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.service.auth import (
    LINK_EXPIRED,
    SIGNUP_RACE,
    VERIFY_EMAIL_TTL,
    check_password,
    verify_email,
)
from app.accounts.tables import Membership, Organisation, SignupRequest, User
from app.clock import Clock
from app.companies.rules import InvalidIdentifier, UnattributedSiren, normalise_siren, vat_for
from app.db import unique_violation_as
from app.errors import N_, DomainError
from app.security import Passwords

SIGNUP_TTL = VERIFY_EMAIL_TTL  # a request lives as long as the link that confirms it
# Unconfirmed requests kept per address: the newest ones; older links stop working.
PENDING_REQUESTS_PER_EMAIL = 3
UNVERIFIED_ACCOUNT_TTL = VERIFY_EMAIL_TTL

ALREADY_REGISTERED = N_(
    "Cette adresse e-mail a déjà un compte Ponctuel confirmé : connectez-vous, ou demandez un "
    "nouveau mot de passe si vous l'avez oublié."
)
INVALID_SIREN = N_("Ce numéro SIREN n'est pas valide.")
UNATTRIBUTED_SIREN = N_("Ce numéro SIREN n'existe pas : l'INSEE ne l'attribue à aucune entreprise.")


@dataclass(frozen=True)
class SignupOutcome:
    """What to email after a signup: a confirmation link, or a note to an existing account.

    `verification_token` is None when the address already has a confirmed account; `locale` is
    that account's language then, else the one the form was filled in.
    """

    verification_token: str | None
    locale: str


@dataclass(frozen=True)
class NewAccount:
    """A confirmed person's new account; `organisation_id` is None when the SIREN was taken."""

    user: User
    organisation_id: int | None
    siren: str


@dataclass(frozen=True)
class Confirmation:
    """A confirmed address: a new account (log it in), or an existing account's address."""

    user: User
    is_new_account: bool
    organisation_id: int | None  # a new account's; None for an existing one or a taken SIREN


def valid_siren(text: str) -> str:
    """The normalised SIREN of the organisation being created, or a field error."""
    try:
        return normalise_siren(text)
    except UnattributedSiren as error:
        raise DomainError(UNATTRIBUTED_SIREN, field="siren") from error
    except InvalidIdentifier as error:
        raise DomainError(INVALID_SIREN, field="siren") from error


async def register_creditor(
    *,
    email: str,
    password: str,
    full_name: str,
    organisation_name: str,
    siren: str,
    locale: str,
    passwords: Passwords,
    clock: Clock,
) -> SignupOutcome:
    """Store a signup request and return the secret of the link that confirms it.

    Neither the address nor the SIREN is checked against other requests or organisations: the
    answer is the same whoever holds them. An address with a confirmed account gets no request
    (the caller emails its owner instead); the password is hashed either way.
    """
    siren = valid_siren(siren)
    check_password(password, email=email)
    password_hash = await passwords.hash(password)
    existing = (
        await User.select(User.locale)
        .where((User.email == email) & User.email_verified_at.is_not_null())
        .first()
    )
    if existing is not None:
        return SignupOutcome(None, existing["locale"])
    secret = rules.new_secret()
    now = clock.now()
    async with SignupRequest._meta.db.transaction():
        await SignupRequest.insert(
            SignupRequest(
                email=email,
                full_name=full_name.strip(),
                password_hash=password_hash,
                locale=locale,
                organisation_name=organisation_name.strip(),
                siren=siren,
                token_hash=rules.secret_hash(secret),
                expires_at=now + SIGNUP_TTL,
                created_at=now,
            )
        )
        await _keep_newest_requests(email)
    return SignupOutcome(secret, locale)


async def _keep_newest_requests(email: str) -> None:
    pending = (
        await SignupRequest.select(SignupRequest.id)
        .where((SignupRequest.email == email) & SignupRequest.verified_at.is_null())
        .order_by(SignupRequest.id, ascending=False)
    )
    surplus = [row["id"] for row in pending[PENDING_REQUESTS_PER_EMAIL:]]
    if surplus:
        await SignupRequest.delete().where(SignupRequest.id.is_in(surplus))


async def confirm_email(*, secret: str, clock: Clock, ip: str, user_agent: str) -> Confirmation:
    """Use an emailed confirmation link, once.

    A signup request's link creates the account (and the organisation when its SIREN is free).
    An account token's link (an account that exists before its address is confirmed) confirms
    that account's address.
    """
    now = clock.now()
    request = await SignupRequest.objects().get(
        (SignupRequest.token_hash == rules.secret_hash(secret))
        & SignupRequest.verified_at.is_null()
    )
    if request is None:
        user = await verify_email(secret=secret, clock=clock, ip=ip, user_agent=user_agent)
        return Confirmation(user, False, None)
    if request.expires_at <= now:
        raise DomainError(LINK_EXPIRED)
    if await User.exists().where(
        (User.email == request.email) & User.email_verified_at.is_not_null()
    ):
        raise DomainError(ALREADY_REGISTERED)
    async with unique_violation_as(lambda: DomainError(SIGNUP_RACE)), User._meta.db.transaction():
        used = (
            await SignupRequest.delete()
            .where((SignupRequest.id == request.id) & SignupRequest.verified_at.is_null())
            .returning(SignupRequest.id)
        )
        if not used:  # used concurrently by another request
            raise DomainError(LINK_EXPIRED)
        await SignupRequest.delete().where(
            (SignupRequest.email == request.email) & SignupRequest.verified_at.is_null()
        )
        stale = await User.select(User.id).where(User.email == request.email)
        for row in stale:  # an unconfirmed account with this address: the new one replaces it
            await discard_unverified_account(row["id"])
        account = await create_verified_account(
            email=request.email,
            full_name=request.full_name,
            password_hash=request.password_hash,
            locale=request.locale,
            organisation_name=request.organisation_name,
            siren=request.siren,
            now=now,
        )
    await record_event(
        action=AuditAction.SIGNUP,
        clock=clock,
        user_id=account.user.id,
        organisation_id=account.organisation_id,
        actor_email=request.email,
        target="email" if account.organisation_id else f"siren_taken:{account.siren}",
        ip=ip,
        user_agent=user_agent,
    )
    await record_event(
        action=AuditAction.EMAIL_VERIFIED,
        clock=clock,
        user_id=account.user.id,
        organisation_id=account.organisation_id,
        actor_email=request.email,
        target="",
        ip=ip,
        user_agent=user_agent,
    )
    return Confirmation(account.user, True, account.organisation_id)


async def create_verified_account(
    *,
    email: str,
    full_name: str,
    password_hash: str | None,
    locale: str,
    organisation_name: str,
    siren: str,
    now: datetime,
) -> NewAccount:
    """The account of a person whose address is confirmed, with the organisation they named.

    The organisation is created, with the person as owner, when no confirmed organisation
    holds the SIREN; otherwise the account has none, and a confirmed `SignupRequest` keeps
    what they asked for (see `siren_request_of` in app.accounts.queries). The caller holds
    the transaction; a concurrent creation with the same address or SIREN makes it fail with
    a unique violation.
    """
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=password_hash,
        email_verified_at=now,
        locale=locale,
        created_at=now,
    )
    await user.save()
    await release_unconfirmed_holder(siren)
    if await Organisation.exists().where(Organisation.siren == siren):
        await SignupRequest.insert(
            SignupRequest(
                email=email,
                full_name=full_name.strip(),
                locale=locale,
                organisation_name=organisation_name.strip(),
                siren=siren,
                expires_at=now,
                user=user.id,
                verified_at=now,
                created_at=now,
            )
        )
        return NewAccount(user, None, siren)
    organisation = await open_organisation(
        user_id=user.id, name=organisation_name, siren=siren, now=now
    )
    return NewAccount(user, organisation.id, siren)


async def open_organisation(*, user_id: int, name: str, siren: str, now: datetime) -> Organisation:
    """A new organisation with `user_id` as its owner, who lands in it; the caller holds the
    transaction (a SIREN already held fails with a unique violation)."""
    organisation = Organisation(
        name=name.strip(), siren=siren, vat_number=vat_for(siren), created_at=now
    )
    await organisation.save()
    await Membership(
        user=user_id, organisation=organisation.id, role=Role.OWNER, created_at=now
    ).save()
    await User.update({User.last_organisation_id: organisation.id}).where(User.id == user_id)
    return organisation


SIREN_HELD = N_(
    "Une entreprise utilise déjà ce SIREN sur Ponctuel : demandez à l'un de ses membres de vous "
    "inviter, ou contestez l'inscription si ce SIREN est celui de votre entreprise."
)


async def create_organisation(
    *, user_id: int, email: str, name: str, siren: str, clock: Clock, ip: str, user_agent: str
) -> Organisation:
    """A new organisation owned by a logged-in user (who has none left, or wants another)."""
    siren = valid_siren(siren)
    async with (  # a SIREN already held, or taken by a concurrent request: the same refusal
        unique_violation_as(lambda: DomainError(SIREN_HELD, field="siren")),
        Organisation._meta.db.transaction(),
    ):
        organisation = await open_organisation(
            user_id=user_id, name=name, siren=siren, now=clock.now()
        )
    await record_event(
        action=AuditAction.ORGANISATION_CREATED,
        clock=clock,
        user_id=user_id,
        organisation_id=organisation.id,
        actor_email=email,
        target=siren,
        ip=ip,
        user_agent=user_agent,
    )
    return organisation


async def create_owner_account(
    *,
    email: str,
    full_name: str,
    password_hash: str | None,
    email_verified_at: datetime,
    locale: str,
    organisation_name: str,
    siren: str,
    now: datetime,
) -> tuple[User, Organisation]:
    """A confirmed user and the organisation they own (demo data); the caller holds the
    transaction."""
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=password_hash,
        email_verified_at=email_verified_at,
        locale=locale,
        created_at=now,
    )
    await user.save()
    organisation = await open_organisation(
        user_id=user.id, name=organisation_name, siren=siren, now=now
    )
    return user, organisation


async def release_unconfirmed_holder(siren: str) -> None:
    """A SIREN held by an organisation none of whose members confirmed their address is free:
    that organisation is deleted (its members' accounts go when they expire)."""
    holder = await Organisation.select(Organisation.id).where(Organisation.siren == siren).first()
    if holder is None:
        return
    confirmed = await Membership.exists().where(
        (Membership.organisation == holder["id"]) & Membership.user.email_verified_at.is_not_null()
    )
    if not confirmed:
        await Organisation.delete().where(Organisation.id == holder["id"])


async def discard_unverified_account(user_id: int) -> None:
    """Delete an account whose address was never confirmed, with the organisations it alone
    belonged to; a confirmed account is left alone."""
    user = await User.select(User.email_verified_at).where(User.id == user_id).first()
    if user is None or user["email_verified_at"] is not None:
        return
    organisation_ids = [
        row["organisation"]
        for row in await Membership.select(Membership.organisation).where(
            Membership.user == user_id
        )
    ]
    await User.delete().where(User.id == user_id)
    for organisation_id in organisation_ids:
        if not await Membership.exists().where(Membership.organisation == organisation_id):
            await Organisation.delete().where(Organisation.id == organisation_id)


@dataclass(frozen=True)
class Cleanup:
    requests: int
    accounts: int


async def delete_expired_signups(*, clock: Clock) -> Cleanup:
    """Delete signup requests whose link expired, and accounts left unconfirmed as long."""
    now = clock.now()
    expired = (
        await SignupRequest.delete()
        .where(SignupRequest.verified_at.is_null() & (SignupRequest.expires_at <= now))
        .returning(SignupRequest.id)
    )
    stale = await User.select(User.id).where(
        User.email_verified_at.is_null() & (User.created_at <= now - UNVERIFIED_ACCOUNT_TTL)
    )
    for row in stale:
        async with User._meta.db.transaction():
            await discard_unverified_account(row["id"])
    return Cleanup(requests=len(expired), accounts=len(stale))
