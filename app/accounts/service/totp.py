"""Two-factor authentication: enrol an authenticator app, check codes at login, recovery codes.

The TOTP seed is stored encrypted and each recovery code as a keyed hash (app.security.DataKeys),
so a copy of the database alone opens nothing. Every change to the second factor asks for the
password again (or, for accounts without one, a current code). Each code and password check is
counted against the account's allowance first (app.accounts.service.attempts).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import qrcode
import qrcode.image.svg

from app.accounts import rules
from app.accounts.service.attempts import AccountChecks, CheckKind
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import RecoveryCode, User
from app.clock import Clock
from app.errors import N_, Conflict, DomainError
from app.security import DataKeys, Passwords, UnreadableSecret

RECOVERY_CODE_COUNT = 10
TOTP_PURPOSE = "totp-secret"
RECOVERY_PURPOSE = "recovery-code"

WRONG_CODE = N_(
    "Code incorrect ou expiré. Saisissez le code à 6 chiffres affiché par votre application, "
    "ou un code de secours."
)
CODE_ALREADY_USED = N_("Ce code a déjà servi. Attendez le suivant dans votre application.")
NOT_ENABLED = N_("La double authentification n'est pas activée.")


@dataclass(frozen=True)
class Origin:
    """Where a security-relevant request came from, for the audit log."""

    ip: str
    user_agent: str
    organisation_id: int | None = None


@dataclass(frozen=True)
class Enrolment:
    """What the setup page shows: the seed as a QR code and as text to type by hand."""

    secret: str
    grouped_secret: str
    uri: str
    qr_data_uri: str


@dataclass(frozen=True)
class SecondFactorUse:
    """A successful second step: who, and how many recovery codes are left if one was used."""

    user: User
    recovery_codes_left: int | None


def new_totp_secret() -> str:
    return rules.new_totp_secret()


def enrolment_for(*, email: str, secret: str) -> Enrolment:
    """The seed as an SVG QR code (a data: URI, allowed by the CSP) and in groups of four."""
    uri = rules.totp_uri(secret, email=email)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    svg = base64.b64encode(image.to_string()).decode()
    return Enrolment(
        secret=secret,
        grouped_secret=rules.grouped_secret(secret),
        uri=uri,
        qr_data_uri=f"data:image/svg+xml;base64,{svg}",
    )


async def _user(user_id: int) -> User:
    user = await User.objects().get(User.id == user_id)
    if user is None:
        raise DomainError(N_("Ce compte n'existe plus."))
    return user


async def _check_password(
    user: User, password: str, passwords: Passwords, checks: AccountChecks
) -> None:
    async with checks.attempt(user, CheckKind.CURRENT_PASSWORD):
        if not await passwords.verify(user.password_hash, password):
            raise DomainError(rules.WRONG_PASSWORD, field="password")


def _seed_of(user: User, keys: DataKeys) -> str | None:
    """The user's TOTP seed, decrypted; None when there is none or no key opens it."""
    if not user.totp_secret:
        return None
    try:
        return keys.decrypt(user.totp_secret, purpose=TOTP_PURPOSE)
    except UnreadableSecret:
        return None


async def _use_totp_code(
    *, user: User, code: str, keys: DataKeys, clock: Clock, checks: AccountChecks
) -> None:
    """A current app code, counted against the account's allowance of second-factor checks."""
    async with checks.attempt(user, CheckKind.SECOND_FACTOR):
        await _spend_totp_code(user=user, code=code, keys=keys, clock=clock)


async def _spend_totp_code(*, user: User, code: str, keys: DataKeys, clock: Clock) -> None:
    """Accept a current app code once: its time step must be later than the last one used."""
    factor = rules.parse_second_factor(code)
    seed = _seed_of(user, keys)
    step = None
    if seed and factor is not None and factor.kind == "totp":
        step = rules.matching_totp_step(seed, factor.code, now=clock.now())
    if step is None:
        raise DomainError(WRONG_CODE, field="code")
    accepted = (
        await User.update({User.totp_last_step: step})
        .where((User.id == user.id) & (User.totp_last_step < step))
        .returning(User.id)
    )
    if not accepted:
        raise DomainError(CODE_ALREADY_USED, field="code")


async def _use_recovery_code(*, user: User, code: str, keys: DataKeys, clock: Clock) -> bool:
    """Spend one unused recovery code; the update is conditional, so it works only once."""
    candidates = keys.keyed_hash_candidates(code, purpose=RECOVERY_PURPOSE)
    spent = (
        await RecoveryCode.update({RecoveryCode.used_at: clock.now()})
        .where(
            (RecoveryCode.user == user.id)
            & RecoveryCode.code_hash.is_in(candidates)
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(spent)


async def _replace_recovery_codes(*, user_id: int, keys: DataKeys, clock: Clock) -> list[str]:
    """Delete every recovery code of the user and store the keyed hashes of ten new ones."""
    codes = rules.new_recovery_codes(RECOVERY_CODE_COUNT)
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await RecoveryCode.insert(
        *[
            RecoveryCode(
                user=user_id,
                code_hash=keys.keyed_hash(code, purpose=RECOVERY_PURPOSE),
                created_at=clock.now(),
            )
            for code in codes
        ]
    )
    return codes


async def recovery_codes_left(*, user_id: int) -> int:
    return int(
        await RecoveryCode.count().where(
            (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
        )
    )


async def enable_totp(
    *,
    user_id: int,
    secret: str,
    code: str,
    password: str,
    passwords: Passwords,
    keys: DataKeys,
    clock: Clock,
    origin: Origin,
    checks: AccountChecks,
) -> list[str]:
    """Turn on 2FA once the user proves the new seed with a code; returns the recovery codes.

    The password is asked again (accounts without one prove themselves with the code only).
    """
    user = await _user(user_id)
    if user.totp_enabled_at is not None:
        raise DomainError(N_("La double authentification est déjà activée."))
    if user.password_hash is not None:
        await _check_password(user, password, passwords, checks)
    async with checks.attempt(user, CheckKind.SECOND_FACTOR):
        factor = rules.parse_second_factor(code)
        step = None
        if factor is not None and factor.kind == "totp":
            step = rules.matching_totp_step(secret, factor.code, now=clock.now())
        if step is None:
            raise DomainError(
                N_(
                    "Ce code ne correspond pas. Vérifiez que l'heure de votre téléphone est juste "
                    "et saisissez le code affiché maintenant."
                ),
                field="code",
            )
    async with User._meta.db.transaction():
        enabled = (
            await User.update(
                {
                    User.totp_secret: keys.encrypt(secret, purpose=TOTP_PURPOSE),
                    User.totp_enabled_at: clock.now(),
                    User.totp_last_step: step,
                }
            )
            .where((User.id == user.id) & User.totp_enabled_at.is_null())
            .returning(User.id)
        )
        if not enabled:  # enabled meanwhile from another tab
            raise DomainError(N_("La double authentification est déjà activée."))
        codes = await _replace_recovery_codes(user_id=user.id, keys=keys, clock=clock)
    await _record(action=AuditAction.TOTP_ENABLED, user=user, clock=clock, origin=origin)
    return codes


async def check_second_factor(
    *,
    user_id: int,
    code: str,
    keys: DataKeys,
    clock: Clock,
    origin: Origin,
    checks: AccountChecks,
) -> SecondFactorUse:
    """The login's second step: a current app code or an unused recovery code.

    A refused code is written to the audit log as a failed login; beyond the account's
    allowance no code is looked at (AccountLocked).
    """
    user = await _user(user_id)
    factor = rules.parse_second_factor(code)
    try:
        async with checks.attempt(user, CheckKind.SECOND_FACTOR):
            if user.totp_enabled_at is None or factor is None:
                raise DomainError(WRONG_CODE, field="code")
            if factor.kind == "totp":
                await _spend_totp_code(user=user, code=factor.code, keys=keys, clock=clock)
                return SecondFactorUse(user=user, recovery_codes_left=None)
            if not await _use_recovery_code(user=user, code=factor.code, keys=keys, clock=clock):
                raise DomainError(WRONG_CODE, field="code")
    except DomainError:
        await _record(
            action=AuditAction.LOGIN_FAILED,
            user=user,
            clock=clock,
            origin=origin,
            target="totp",
            is_success=False,
        )
        raise
    await _record(action=AuditAction.RECOVERY_CODE_USED, user=user, clock=clock, origin=origin)
    left = await recovery_codes_left(user_id=user.id)
    return SecondFactorUse(user=user, recovery_codes_left=left)


async def disable_totp(
    *,
    user_id: int,
    password: str,
    code: str,
    passwords: Passwords,
    keys: DataKeys,
    clock: Clock,
    origin: Origin,
    checks: AccountChecks,
) -> None:
    """Turn off 2FA after the password (or, without one, a current code); codes are deleted."""
    user = await _user(user_id)
    if user.totp_enabled_at is None:
        raise Conflict(NOT_ENABLED)
    if user.password_hash is not None:
        await _check_password(user, password, passwords, checks)
    else:
        await _use_totp_code(user=user, code=code, keys=keys, clock=clock, checks=checks)
    async with User._meta.db.transaction():
        await User.update({User.totp_secret: None, User.totp_enabled_at: None}).where(
            User.id == user.id
        )
        await RecoveryCode.delete().where(RecoveryCode.user == user.id)
    await _record(action=AuditAction.TOTP_DISABLED, user=user, clock=clock, origin=origin)


async def regenerate_recovery_codes(
    *,
    user_id: int,
    code: str,
    keys: DataKeys,
    clock: Clock,
    origin: Origin,
    checks: AccountChecks,
) -> list[str]:
    """Replace every recovery code after a current app code; the new ones are shown once."""
    user = await _user(user_id)
    if user.totp_enabled_at is None:
        raise Conflict(NOT_ENABLED)
    await _use_totp_code(user=user, code=code, keys=keys, clock=clock, checks=checks)
    async with User._meta.db.transaction():
        codes = await _replace_recovery_codes(user_id=user.id, keys=keys, clock=clock)
    await _record(
        action=AuditAction.RECOVERY_CODES_REGENERATED, user=user, clock=clock, origin=origin
    )
    return codes


async def _record(
    *,
    action: AuditAction,
    user: User,
    clock: Clock,
    origin: Origin,
    target: str = "",
    is_success: bool = True,
) -> None:
    await record_event(
        action=action,
        clock=clock,
        user_id=user.id,
        organisation_id=origin.organisation_id,
        actor_email=user.email,
        target=target,
        ip=origin.ip,
        user_agent=origin.user_agent,
        is_success=is_success,
    )
