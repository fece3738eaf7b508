from app.db import Check, check_statements, length_check, sql_migration

ID = "2026-12-01T14:53:03:000000"
VERSION = "1.38.0"
DESCRIPTION = "signup requests and SIREN claims: one pending claim, checks and text lengths"

# A partial unique index: both engines accept CREATE UNIQUE INDEX ... WHERE.
STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS siren_claim_pending_uniq"
    " ON siren_claim (claimant, siren) WHERE status = 'pending'",
]

# The columns of the previous migration, written out (see 2026-12-01T13:43:00:000000).
ENUMERATIONS = [
    Check(
        name="siren_claim_status_check",
        table="siren_claim",
        column="status",
        condition="{column} IN ('pending', 'accepted', 'rejected')",
    ),
]

TEXT_LENGTHS = [
    ("organisation", "suspension_reason", 5000),
    ("organisation", "withdrawn_siren", 9),
    ("signup_request", "email", 254),
    ("signup_request", "full_name", 200),
    ("signup_request", "password_hash", 255),
    ("signup_request", "locale", 8),
    ("signup_request", "organisation_name", 200),
    ("signup_request", "siren", 9),
    ("signup_request", "token_hash", 96),
    ("siren_claim", "siren", 9),
    ("siren_claim", "organisation_name", 200),
    ("siren_claim", "claimant_name", 200),
    ("siren_claim", "claimant_role", 200),
    ("siren_claim", "explanation", 5000),
    ("siren_claim", "status", 16),
    ("siren_claim", "decision_reason", 5000),
]

CHECKS = [
    *ENUMERATIONS,
    *(length_check(table, column, length) for table, column, length in TEXT_LENGTHS),
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS, checks=CHECKS)
