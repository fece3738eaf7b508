from app.db import sql_migration

ID = "2026-12-04T23:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "typo vocabulary: the words themselves, unique, without their variants"

# The vocabulary held each word under itself and each of its one-letter-shorter forms, ten
# rows a word; search now looks up a typed word's neighbours one typo away among the words
# themselves (app/companies/search.py). The rows of the other forms go, with the indexes over
# them and the length check of their column (SQLite's triggers), before the next migration
# drops that column.
STATEMENTS = [
    "DELETE FROM search_word WHERE variant <> word",
    "DROP INDEX IF EXISTS search_word_variant_word_uniq",
    "DROP INDEX IF EXISTS search_word_words",
    "CREATE UNIQUE INDEX IF NOT EXISTS search_word_word_uniq ON search_word (word)",
]
PER_ENGINE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS search_word_variant_length_insert",
        "DROP TRIGGER IF EXISTS search_word_variant_length_update",
    ],
}

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS, per_engine=PER_ENGINE)
