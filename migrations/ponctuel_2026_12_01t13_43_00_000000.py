from app.db import Check, check_statements, length_check, sql_migration

ID = "2026-12-01T13:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check constraints and text lengths"

# The schema as it stands at this migration, written out: later changes to the tables must
# not change what this migration did. A new column gets its checks in a new migration.
ENUMERATIONS = [
    Check(
        name="membership_role_check",
        table="membership",
        column="role",
        condition="{column} IN ('owner', 'admin', 'member')",
    ),
    Check(
        name="invitation_role_check",
        table="invitation",
        column="role",
        condition="{column} IN ('owner', 'admin', 'member')",
    ),
    Check(
        name="account_token_purpose_check",
        table="account_token",
        column="purpose",
        condition="{column} IN ('verify_email', 'reset_password')",
    ),
]

# Every VARCHAR(n) column: PostgreSQL enforces n itself, SQLite gets a trigger.
TEXT_LENGTHS = [
    ("app_user", "email", 254),
    ("app_user", "full_name", 200),
    ("app_user", "password_hash", 255),
    ("app_user", "locale", 8),
    ("app_user", "totp_secret", 200),
    ("organisation", "name", 200),
    ("organisation", "siren", 9),
    ("organisation", "vat_number", 13),
    ("membership", "role", 16),
    ("account_token", "purpose", 32),
    ("account_token", "token_hash", 96),
    ("invitation", "email", 254),
    ("invitation", "role", 16),
    ("invitation", "token_hash", 96),
    ("external_identity", "provider", 64),
    ("external_identity", "issuer", 500),
    ("external_identity", "subject", 255),
    ("external_identity", "email", 254),
    ("recovery_code", "code_hash", 96),
    ("audit_event", "actor_email", 254),
    ("audit_event", "action", 64),
    ("audit_event", "target", 254),
    ("audit_event", "ip", 64),
    ("audit_event", "user_agent", 300),
]

CHECKS = [
    *ENUMERATIONS,
    *(length_check(table, column, length) for table, column, length in TEXT_LENGTHS),
]

forwards = sql_migration(ID, DESCRIPTION, checks=CHECKS)
