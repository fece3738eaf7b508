from app.db import Check, check_statements, length_check, sql_migration

ID = "2026-12-02T06:46:49:000000"
VERSION = "1.38.0"
DESCRIPTION = "companies, outcomes, scores, imports: one outcome per reference, checks, lengths"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS outcome_organisation_reference_uniq"
    " ON outcome (organisation, reference)",
    "CREATE UNIQUE INDEX IF NOT EXISTS search_word_variant_word_uniq"
    " ON search_word (variant, word)",
]

# Company search (app/companies/search.py) over the normalised name columns.
SEARCH_STATEMENTS = {
    "postgres": [
        "CREATE INDEX IF NOT EXISTS company_search_gin ON company"
        " USING GIN (to_tsvector('simple', name_norm || ' ' || other_names_norm))",
    ],
    # An FTS5 index of the same columns, kept in step with the table by triggers.
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS company_search USING fts5("
        "name_norm, other_names_norm, content='company', content_rowid='id',"
        " tokenize='unicode61', prefix='2 3 4')",
        "CREATE TRIGGER IF NOT EXISTS company_search_insert AFTER INSERT ON company BEGIN"
        " INSERT INTO company_search (rowid, name_norm, other_names_norm)"
        " VALUES (new.id, new.name_norm, new.other_names_norm); END",
        "CREATE TRIGGER IF NOT EXISTS company_search_delete AFTER DELETE ON company BEGIN"
        " INSERT INTO company_search (company_search, rowid, name_norm, other_names_norm)"
        " VALUES ('delete', old.id, old.name_norm, old.other_names_norm); END",
        "CREATE TRIGGER IF NOT EXISTS company_search_update"
        " AFTER UPDATE OF name_norm, other_names_norm ON company BEGIN"
        " INSERT INTO company_search (company_search, rowid, name_norm, other_names_norm)"
        " VALUES ('delete', old.id, old.name_norm, old.other_names_norm);"
        " INSERT INTO company_search (rowid, name_norm, other_names_norm)"
        " VALUES (new.id, new.name_norm, new.other_names_norm); END",
    ],
}

# The columns of the previous migration, written out (see 2026-12-02T06:46:48:340550).
ENUMERATIONS = [
    Check(
        name="company_diffusion_check",
        table="company",
        column="diffusion",
        condition="{column} IN ('O', 'P')",
    ),
    Check(
        name="company_source_check",
        table="company",
        column="source",
        condition="{column} IN ('sirene', 'siren_only', 'demo')",
    ),
    Check(
        name="score_confidence_check",
        table="score",
        column="confidence",
        condition="{column} IN ('low', 'medium', 'high')",
    ),
    Check(
        name="sirene_import_kind_check",
        table="sirene_import",
        column="kind",
        condition="{column} IN ('units', 'establishments')",
    ),
    Check(
        name="outcome_amount_cents_check",
        table="outcome",
        column="amount_cents",
        condition="{column} > 0",
    ),
    Check(
        name="score_value_check",
        table="score",
        column="value",
        condition="{column} BETWEEN 0 AND 100",
    ),
]

TEXT_LENGTHS = [
    ("company", "siren", 9),
    ("company", "name", 250),
    ("company", "sigle", 50),
    ("company", "usual_names", 500),
    ("company", "signs", 500),
    ("company", "name_norm", 250),
    ("company", "sigle_norm", 50),
    ("company", "other_names_norm", 1100),
    ("company", "legal_category", 4),
    ("company", "naf_code", 8),
    ("company", "naf_nomenclature", 8),
    ("company", "address", 500),
    ("company", "postcode", 5),
    ("company", "commune", 100),
    ("company", "departement", 3),
    ("company", "size_band", 2),
    ("company", "diffusion", 1),
    ("company", "slug", 120),
    ("company", "source", 16),
    ("outcome", "reference", 64),
    ("score", "confidence", 8),
    ("search_word", "variant", 30),
    ("search_word", "word", 30),
    ("sirene_import", "kind", 16),
    ("sirene_import", "file_name", 500),
    ("sirene_import", "fingerprint", 96),
]

CHECKS = [
    *ENUMERATIONS,
    *(length_check(table, column, length) for table, column, length in TEXT_LENGTHS),
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS, per_engine=SEARCH_STATEMENTS, checks=CHECKS)
