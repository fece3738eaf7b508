"""Pure account rules: email and password policy, roles, one-time secrets, TOTP codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal

import pyotp
from email_validator import EmailNotValidError, validate_email
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app import limits
from app.errors import N_, Text

WRONG_PASSWORD = N_("Le mot de passe est incorrect.")  # a password asked again when logged in
ACCOUNT_GONE = N_("Ce compte n'existe plus.")

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = limits.PASSWORD
COMMON_PASSWORDS_CHECKED = 3000


class Role(StrEnum):
    """A member's role in an organisation, from the least to the most powerful."""

    MEMBER = "member"
    ADMIN = "admin"
    OWNER = "owner"


class ClaimStatus(StrEnum):
    """Where a SIREN claim stands: waiting for a platform administrator, or decided."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


def name_order(text: str) -> tuple[str, str]:
    """A name's place in a list as a French reader expects it: letters without their accents,
    case or ligatures first ("Élodie" between "Dupont" and "Fabre", "Œuvre" as "oeuvre"), then
    as written."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return letters.replace("œ", "oe").replace("æ", "ae"), text


def role_rank(role: str) -> int:
    """The rank of a role name; -1 for anything that is not a role."""
    try:
        return ROLE_RANK[Role(role)]
    except ValueError:
        return -1


class InvalidEmail(ValueError):
    """The address is not a deliverable email address shape."""


def normalise_email(text: str) -> str:
    """Lower-cased, syntactically valid address (no DNS look-up: that is I/O)."""
    try:
        info = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    return str(info.normalized).lower()


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORDS_CHECKED])


def password_problem(password: str, *, email: str) -> str | None:
    """Why a new password is refused, or None (length and common lists; no composition rules)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return "too_short"
    if len(password) > PASSWORD_MAX_LENGTH:
        return "too_long"
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip("0123456789!") in _common_passwords():
        return "too_common"
    if email and lowered == email.lower().split("@")[0]:
        return "too_common"
    return None


PASSWORD_MESSAGES = {
    "too_short": N_("Le mot de passe doit contenir au moins %(min)s caractères."),
    "too_long": N_("Le mot de passe ne peut pas dépasser %(max)s caractères."),
    "too_common": N_("Ce mot de passe est trop courant : choisissez-en un autre."),
}


def password_message(problem: str) -> Text:
    """What to tell someone whose new password `password_problem` refused, limits filled in."""
    return Text(PASSWORD_MESSAGES[problem], min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)


def can_manage_members(role: str) -> bool:
    return role_rank(role) >= ROLE_RANK[Role.ADMIN]


def can_grant(granter_role: str, role: str) -> bool:
    """Admins invite members and admins; only owners create owners."""
    if not can_manage_members(granter_role):
        return False
    rank = role_rank(role)
    return 0 <= rank <= role_rank(granter_role)


def new_secret() -> str:
    """A 256-bit URL-safe secret for emailed links."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What we store of a high-entropy secret: its SHA-256 (a slow hash adds nothing here)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_recovery_codes(count: int = 10) -> list[str]:
    """Recovery codes of 10 base32 characters, shown once as xxxxx-xxxxx."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(text: str) -> str:
    cleaned = "".join(ch for ch in text.lower() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


# --- two-factor authentication (TOTP, RFC 6238) ---------------------------------------------

TOTP_STEP_SECONDS = 30
TOTP_ISSUER = "Ponctuel"
RECOVERY_CODE_LENGTH = 10


@dataclass(frozen=True)
class SecondFactor:
    """What a user typed at the login's second step: an app code or a recovery code."""

    kind: Literal["totp", "recovery"]
    code: str


def new_totp_secret() -> str:
    """A random 160-bit base32 seed for an authenticator app."""
    return str(pyotp.random_base32())


def totp_step(now: datetime) -> int:
    """The 30-second time step an instant falls in; each step has its own code."""
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def matching_totp_step(secret: str, code: str, *, now: datetime, window: int = 1) -> int | None:
    """The time step whose code this is, looking `window` steps either side of now, else None.

    The window tolerates a phone clock that is a little off; the caller refuses a step it
    has already accepted, so a code works once.
    """
    totp = pyotp.TOTP(secret)
    current = totp_step(now)
    matched = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(str(totp.generate_otp(step)), code):
            matched = step
    return matched


def totp_uri(secret: str, *, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER))


def grouped_secret(secret: str) -> str:
    """The seed in groups of four characters, for typing it by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def parse_second_factor(text: str) -> SecondFactor | None:
    """Tell a 6-digit app code from a xxxxx-xxxxx recovery code; None for anything else."""
    compact = "".join(text.split())
    if len(compact) == 6 and compact.isascii() and compact.isdigit():
        return SecondFactor("totp", compact)
    cleaned = "".join(ch for ch in compact if ch.isalnum())
    if len(cleaned) == RECOVERY_CODE_LENGTH and cleaned.isascii():
        return SecondFactor("recovery", normalise_recovery_code(cleaned))
    return None


# --- sign-in providers ------------------------------------------------------------------------


def can_unlink_provider(*, has_password: bool, linked_providers: int) -> bool:
    """A provider may be removed only when another way to log in remains afterwards."""
    return has_password or linked_providers > 1


def started_within(started_at: datetime, *, now: datetime, within: timedelta) -> bool:
    """True when `started_at` (a login, a pending step) is at most `within` before now, bound
    included; an instant after now, from a clock set back, is not trusted."""
    return timedelta(0) <= now - started_at <= within
