from app.db import sql_migration

ID = "2026-12-01T13:25:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes"

# Composite indexes as plain statements: SQLite rejects piccolo.constraints, both engines
# accept CREATE [UNIQUE] INDEX IF NOT EXISTS.
STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS membership_user_organisation_uniq"
    ' ON membership ("user", organisation)',
    "CREATE UNIQUE INDEX IF NOT EXISTS external_identity_issuer_subject_uniq"
    " ON external_identity (issuer, subject)",
    "CREATE INDEX IF NOT EXISTS invitation_organisation_email"
    " ON invitation (organisation, email)",
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS)
