from app.db import Check, check_statements, length_check, sql_migration

ID = "2026-12-02T16:10:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "recommendations, publication replies, sector medians: one per pair, checks, lengths"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS recommendation_organisation_company_uniq"
    " ON recommendation (organisation, company)",
]

# The columns of the previous migration, written out (see 2026-12-02T16:10:37:929718).
ENUMERATIONS = [
    Check(
        name="recommendation_status_check",
        table="recommendation",
        column="status",
        condition="{column} IN ('pending', 'approved', 'rejected')",
    ),
    Check(
        name="sector_median_median_check",
        table="sector_median",
        column="median",
        condition="{column} BETWEEN 0 AND 100",
    ),
]

TEXT_LENGTHS = [
    ("publication_reply", "text", 2000),
    ("recommendation", "text", 1000),
    ("recommendation", "status", 16),
    ("sector_median", "division", 2),
]

CHECKS = [
    *ENUMERATIONS,
    *(length_check(table, column, length) for table, column, length in TEXT_LENGTHS),
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS, checks=CHECKS)
