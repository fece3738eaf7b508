"""Account use cases: confirm an account's address, log in, reset and change passwords."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import ArqRedis

from app.accounts import paths, rules
from app.accounts.service.attempts import AccountChecks, CheckKind
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import AccountToken, TokenPurpose, User
from app.clock import Clock
from app.errors import N_, DomainError
from app.messaging.email import queue_email
from app.queue import enqueue
from app.security import Passwords

VERIFY_EMAIL_TTL = timedelta(hours=48)
RESET_PASSWORD_TTL = timedelta(hours=1)
VERIFICATION_RESEND_INTERVAL = timedelta(minutes=10)
LINK_EXPIRED = N_("Ce lien n'est plus valable. Demandez-en un nouveau.")


SIGNUP_RACE = N_("Ce compte existe déjà ou est en cours de création.")
PASSWORD_RESET_JOB = "send_password_reset"  # noqa: S105 (the worker job of that name)


def check_password(password: str, *, email: str) -> None:
    problem = rules.password_problem(password, email=email)
    if problem:
        raise DomainError(rules.password_message(problem), field="password")


async def issue_token(*, user_id: int, purpose: TokenPurpose, clock: Clock) -> str:
    """Create a single-use emailed secret; only its hash is stored."""
    ttl = VERIFY_EMAIL_TTL if purpose == TokenPurpose.VERIFY_EMAIL else RESET_PASSWORD_TTL
    secret = rules.new_secret()
    await AccountToken.insert(
        AccountToken(
            user=user_id,
            purpose=purpose,
            token_hash=rules.secret_hash(secret),
            expires_at=clock.now() + ttl,
            created_at=clock.now(),
        )
    )
    return secret


async def _valid_token(*, secret: str, purpose: TokenPurpose, clock: Clock) -> AccountToken | None:
    """The unused, unexpired token behind an emailed secret, else None."""
    token = await AccountToken.objects().get(
        (AccountToken.token_hash == rules.secret_hash(secret)) & (AccountToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        return None
    return token


async def _consume(token: AccountToken | None, *, clock: Clock) -> int:
    """Mark a valid token used, once, and return its user id."""
    if token is None:
        raise DomainError(LINK_EXPIRED)
    updated = (
        await AccountToken.update({AccountToken.used_at: clock.now()})
        .where((AccountToken.id == token.id) & AccountToken.used_at.is_null())
        .returning(AccountToken.id)
    )
    if not updated:  # consumed concurrently by another request
        raise DomainError(LINK_EXPIRED)
    return int(token.user)


async def verify_email(*, secret: str, clock: Clock, ip: str, user_agent: str) -> User:
    """Confirm an existing account's address from an account token's link; returns the account.

    New accounts are confirmed through their signup request instead (service.signup).
    """
    token = await _valid_token(secret=secret, purpose=TokenPurpose.VERIFY_EMAIL, clock=clock)
    user_id = await _consume(token, clock=clock)
    await User.update({User.email_verified_at: clock.now()}).where(
        (User.id == user_id) & User.email_verified_at.is_null()
    )
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise DomainError(LINK_EXPIRED)
    await record_event(
        action=AuditAction.EMAIL_VERIFIED,
        clock=clock,
        user_id=user_id,
        actor_email=user.email,
        target="",
        ip=ip,
        user_agent=user_agent,
    )
    return user


async def resend_verification(*, user_id: int, clock: Clock) -> str | None:
    """A new verification secret for a login to an unconfirmed account, at most one per interval.

    Someone who signed up with another person's address knows the password: without this,
    each of their logins would mail that person a new link. None when a link was issued less
    than VERIFICATION_RESEND_INTERVAL ago (the earlier link still works).
    """
    recent = await AccountToken.exists().where(
        (AccountToken.user == user_id)
        & (AccountToken.purpose == TokenPurpose.VERIFY_EMAIL)
        & (AccountToken.created_at > clock.now() - VERIFICATION_RESEND_INTERVAL)
    )
    if recent:
        return None
    return await issue_token(user_id=user_id, purpose=TokenPurpose.VERIFY_EMAIL, clock=clock)


async def authenticate(
    *, email: str, password: str, passwords: Passwords, clock: Clock
) -> User | None:
    """The user whose password matches, else None; unknown emails cost the same time."""
    user = await User.objects().get(User.email == email)
    ok = await passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None:
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash(password)
        await user.save([User.password_hash])
    return user


async def request_password_reset(
    *, queue: ArqRedis, email: str, locale: str, ip: str, user_agent: str
) -> None:
    """Hand a reset request to the worker, whatever the address: the request itself reads and
    writes nothing, so a known and an unknown address cost the same and leave the same trace.
    Where it came from travels with it, for the audit log of an account that exists."""
    await enqueue(queue, PASSWORD_RESET_JOB, email, locale, ip, user_agent)


async def send_password_reset(
    *,
    email: str,
    locale: str,
    queue: ArqRedis,
    base_url: str,
    clock: Clock,
    ip: str,
    user_agent: str,
) -> bool:
    """Issue a reset link and queue its email when the address has an account (worker side).

    An unknown address is dropped; returns whether an email was queued.
    """
    user = await User.objects().get(User.email == email)
    if user is None:
        return False
    secret = await issue_token(user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD, clock=clock)
    await record_event(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        clock=clock,
        user_id=user.id,
        actor_email=user.email,
        target="",
        ip=ip,
        user_agent=user_agent,
    )
    await queue_email(
        queue,
        template="password_reset",
        to=user.email,
        subject=N_("Réinitialisez votre mot de passe"),
        locale=user.locale or locale,
        link=paths.link(base_url, paths.RESET_PASSWORD, token=secret),
    )
    return True


async def check_reset_token(*, secret: str, clock: Clock) -> bool:
    token = await _valid_token(secret=secret, purpose=TokenPurpose.RESET_PASSWORD, clock=clock)
    return token is not None


async def _set_password(*, user_id: int, password: str, passwords: Passwords, clock: Clock) -> None:
    """Store a new hash, end every open session of the user and kill their other reset links."""
    await User.update(
        {
            User.password_hash: await passwords.hash(password),
            User.session_epoch: User.session_epoch + 1,
        }
    ).where(User.id == user_id)
    await AccountToken.update({AccountToken.used_at: clock.now()}).where(
        (AccountToken.user == user_id)
        & (AccountToken.purpose == TokenPurpose.RESET_PASSWORD)
        & AccountToken.used_at.is_null()
    )


async def reset_password(
    *, secret: str, password: str, passwords: Passwords, clock: Clock, ip: str, user_agent: str
) -> int:
    """Set a new password from an emailed reset link; also confirms the address."""
    token = await _valid_token(secret=secret, purpose=TokenPurpose.RESET_PASSWORD, clock=clock)
    if token is None:
        raise DomainError(LINK_EXPIRED)
    user = await User.objects().get(User.id == token.user)
    if user is None:
        raise DomainError(LINK_EXPIRED)
    check_password(password, email=user.email)
    user_id = await _consume(token, clock=clock)
    await _set_password(user_id=user_id, password=password, passwords=passwords, clock=clock)
    await User.update({User.email_verified_at: clock.now()}).where(
        (User.id == user_id) & User.email_verified_at.is_null()
    )
    await record_event(
        action=AuditAction.PASSWORD_RESET,
        clock=clock,
        user_id=user_id,
        actor_email=user.email,
        target="",
        ip=ip,
        user_agent=user_agent,
    )
    return user_id


async def change_password(
    *,
    user_id: int,
    current_password: str,
    new_password: str,
    passwords: Passwords,
    clock: Clock,
    checks: AccountChecks,
) -> User:
    """Change a password after checking the current one; other sessions end.

    The check of the current password is counted against the account's allowance first.
    Returns the updated user, whose new session epoch the caller's session must carry.
    """
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise DomainError(rules.ACCOUNT_GONE)
    async with checks.attempt(user, CheckKind.CURRENT_PASSWORD):
        if not await passwords.verify(user.password_hash, current_password):
            message = N_("Le mot de passe actuel est incorrect.")
            raise DomainError(message, field="current_password")
    check_password(new_password, email=user.email)
    await _set_password(user_id=user_id, password=new_password, passwords=passwords, clock=clock)
    await record_event(
        action=AuditAction.PASSWORD_CHANGED,
        clock=clock,
        user_id=user_id,
        organisation_id=checks.organisation_id,
        actor_email=user.email,
        target="",
        ip=checks.ip,
        user_agent=checks.user_agent,
    )
    updated = await User.objects().get(User.id == user_id)
    if updated is None:
        raise DomainError(rules.ACCOUNT_GONE)
    return updated


async def set_locale(*, user_id: int, locale: str) -> None:
    """Remember the language a user chose (it wins over the browser's)."""
    await User.update({User.locale: locale}).where(User.id == user_id)
