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


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a password)


class User(Table, tablename="app_user"):
    """A person who logs in. Email is stored lower-cased and unique."""

    id = Serial(primary_key=True)

    email = Varchar(length=254, unique=True, index=True)
    full_name = Varchar(length=200, default="")
    password_hash = Varchar(length=255, null=True, default=None)
    email_verified_at = Timestamptz(null=True, default=None)
    locale = Varchar(length=8, default="fr")
    totp_secret = Varchar(length=64, null=True, default=None)
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(default=0)
    session_epoch = Integer(default=0)  # bumped to end every open session of the user
    last_organisation_id = Integer(null=True, default=None)
    created_at = Timestamptz()


class Organisation(Table):
    """A creditor company, identified by its SIREN."""

    id = Serial(primary_key=True)

    name = Varchar(length=200)
    siren = Varchar(length=9, unique=True, index=True)
    vat_number = Varchar(length=13)
    created_at = Timestamptz()


class Membership(Table):
    """A user's role in an organisation; (user, organisation) is unique (raw index migration)."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16, choices=Role)
    created_at = Timestamptz()


class AccountToken(Table):
    """A single-use emailed secret (email verification, password reset); only its hash is kept."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=32, choices=TokenPurpose)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Invitation(Table):
    """An invitation to join an organisation, sent by email; only the token's hash is kept."""

    id = Serial(primary_key=True)

    organisation = ForeignKey(references=Organisation, on_delete=OnDelete.cascade, index=True)
    email = Varchar(length=254)
    role = Varchar(length=16, choices=Role)
    token_hash = Varchar(length=64, unique=True)
    invited_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ExternalIdentity(Table):
    """A login through an OpenID Connect provider; (issuer, subject) is unique (raw index)."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    provider = Varchar(length=64)
    issuer = Varchar(length=500)
    subject = Varchar(length=255)
    email = Varchar(length=254, default="")
    created_at = Timestamptz()


class RecoveryCode(Table):
    """A one-time TOTP recovery code; only its hash is kept."""

    id = Serial(primary_key=True)

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, unique=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class AuditEvent(Table):
    """An append-only security event (UTC instant, who, what, where, target)."""

    id = Serial(primary_key=True)

    organisation = ForeignKey(
        references=Organisation, on_delete=OnDelete.set_null, null=True, index=True
    )
    user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    actor_email = Varchar(length=254, default="")
    action = Varchar(length=64, index=True)
    target = Varchar(length=254, default="")
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")
    is_success = Boolean(default=True)
    created_at = Timestamptz(index=True)


TABLES: list[type[Table]] = [
    User,
    Organisation,
    Membership,
    AccountToken,
    Invitation,
    ExternalIdentity,
    RecoveryCode,
    AuditEvent,
]
