"""Account tables: people, the creditor organisations they belong to, and their security trail."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from app import limits
from app.accounts.rules import ClaimStatus, Role


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)


class User(Table, tablename="app_user"):
    """A person who logs in. Email is stored lower-cased and unique."""

    id = Serial(primary_key=True)

    email = Varchar(length=limits.EMAIL, unique=True)
    full_name = Varchar(length=limits.PERSON_NAME, default="")
    password_hash = Varchar(length=limits.PASSWORD_HASH, null=True, default=None)
    email_verified_at = Timestamptz(null=True, default=None)
    locale = Varchar(length=limits.LOCALE, default="fr")
    totp_secret = Varchar(length=limits.ENCRYPTED_SECRET, null=True, default=None)  # encrypted
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(default=0)
    session_epoch = Integer(default=0)  # bumped to end every open session of the user
    last_organisation_id = Integer(null=True, default=None)
    is_platform_admin = Boolean(default=False)  # reviews claims and moderation, across tenants
    created_at = Timestamptz()


class Organisation(Table):
    """A creditor company, identified by its SIREN.

    When a platform administrator gives the SIREN to the company that proved it is theirs
    (an accepted `SirenClaim`), this organisation is suspended: it keeps its members and
    history, `withdrawn_siren` records the SIREN it lost, and `siren` holds a marker that can
    never be a real SIREN (app.companies.rules.withdrawn_siren_marker), so the column stays
    unique and not null.
    """

    id = Serial(primary_key=True)

    name = Varchar(length=limits.ORGANISATION_NAME)
    siren = Varchar(length=limits.SIREN, unique=True)
    vat_number = Varchar(length=limits.VAT_NUMBER)
    created_at = Timestamptz()
    suspended_at = Timestamptz(null=True, default=None)
    suspension_reason = Varchar(length=limits.LONG_TEXT, default="")
    withdrawn_siren = Varchar(length=limits.SIREN, default="")


class Membership(Table):
    """A user's role in an organisation; (user, organisation) is unique (raw index migration).

    That unique index also serves look-ups by user, so `user` has no index of its own.
    """

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    organisation = ForeignKey(
        references=Organisation, on_delete=OnDelete.cascade, null=False, index=True
    )
    role = Varchar(length=limits.ROLE, choices=Role)
    created_at = Timestamptz()


class AccountToken(Table):
    """A single-use emailed secret (email verification, password reset); only its hash is kept."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    purpose = Varchar(length=limits.TOKEN_PURPOSE, choices=TokenPurpose)
    token_hash = Varchar(length=limits.SECRET_HASH, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class SignupRequest(Table):
    """A signup waiting for its address to be confirmed: the person and the company they asked for.

    Nothing is reserved until the emailed link is used: not the address (several requests may
    name it; the one confirmed first creates the account) nor the SIREN (the organisation is
    created at confirmation if the SIREN is still free). Only the link's hash is kept. A
    request that is not confirmed within its lifetime is deleted by the worker.

    When the SIREN was taken by then, the confirmed request stays, linked to the new `user`
    and without its secrets, to tell them so and to fill in a claim.
    """

    id = Serial(primary_key=True)

    email = Varchar(length=limits.EMAIL, index=True)
    full_name = Varchar(length=limits.PERSON_NAME, default="")
    password_hash = Varchar(length=limits.PASSWORD_HASH, null=True, default=None)
    locale = Varchar(length=limits.LOCALE, default="fr")
    organisation_name = Varchar(length=limits.ORGANISATION_NAME)
    siren = Varchar(length=limits.SIREN)
    token_hash = Varchar(length=limits.SECRET_HASH, null=True, default=None, unique=True)
    expires_at = Timestamptz(index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class SirenClaim(Table):
    """A verified person's claim that a SIREN held by another organisation is their company's.

    A platform administrator decides; one pending claim per (claimant, SIREN) (raw index).
    """

    id = Serial(primary_key=True)

    claimant = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    siren = Varchar(length=limits.SIREN, index=True)
    organisation_name = Varchar(length=limits.ORGANISATION_NAME)
    claimant_name = Varchar(length=limits.PERSON_NAME)
    claimant_role = Varchar(length=limits.JOB_TITLE)
    explanation = Varchar(length=limits.LONG_TEXT)
    held_by = ForeignKey(
        references=Organisation, on_delete=OnDelete.set_null, null=True, index=True
    )
    status = Varchar(length=limits.CLAIM_STATUS, choices=ClaimStatus, default=ClaimStatus.PENDING)
    reviewer = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Varchar(length=limits.LONG_TEXT, default="")
    created_at = Timestamptz(index=True)


class Invitation(Table):
    """An invitation to join an organisation, sent by email; only the token's hash is kept."""

    id = Serial(primary_key=True)

    organisation = ForeignKey(
        references=Organisation, on_delete=OnDelete.cascade, null=False, index=True
    )
    email = Varchar(length=limits.EMAIL)
    role = Varchar(length=limits.ROLE, choices=Role)
    token_hash = Varchar(length=limits.SECRET_HASH, unique=True)
    invited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ExternalIdentity(Table):
    """A login through an OpenID Connect provider; (issuer, subject) is unique (raw index)."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    provider = Varchar(length=limits.PROVIDER_NAME)
    issuer = Varchar(length=limits.ISSUER)
    subject = Varchar(length=limits.SUBJECT)
    email = Varchar(length=limits.EMAIL, default="")
    created_at = Timestamptz()


class RecoveryCode(Table):
    """A one-time TOTP recovery code; only its keyed hash is kept."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False, index=True)
    code_hash = Varchar(length=limits.SECRET_HASH, unique=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class AuditEvent(Table):
    """An append-only security event (UTC instant, who, what, where, target)."""

    id = Serial(primary_key=True)

    organisation = ForeignKey(
        references=Organisation, on_delete=OnDelete.set_null, null=True, index=True
    )
    user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    actor_email = Varchar(length=limits.EMAIL, default="", index=True)
    action = Varchar(length=limits.AUDIT_ACTION, index=True)
    target = Varchar(length=limits.AUDIT_TARGET, default="")
    ip = Varchar(length=limits.IP_ADDRESS, default="")
    user_agent = Varchar(length=limits.USER_AGENT, default="")
    is_success = Boolean(default=True)
    created_at = Timestamptz(index=True)


TABLES: list[type[Table]] = [
    User,
    Organisation,
    Membership,
    AccountToken,
    SignupRequest,
    SirenClaim,
    Invitation,
    ExternalIdentity,
    RecoveryCode,
    AuditEvent,
]
