from app.db import sql_migration

ID = "2026-12-03T08:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "company search: indexes for the exact name and sigle"

# A name typed in full comes first (app/companies/search.py): found through these indexes,
# whatever the number of companies whose names merely contain its words.
STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS company_name_norm ON company (name_norm)",
    "CREATE INDEX IF NOT EXISTS company_sigle_norm ON company (sigle_norm)",
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS)
