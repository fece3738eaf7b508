from app.db import sql_migration

ID = "2026-12-03T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "typo vocabulary: an index of its words, for the words a typed prefix begins"

# Every word is stored under itself (variant = word): indexing those rows by word finds the
# registry words a prefix begins by a short range scan (app/companies/search.py, _Vocabulary),
# where the (variant, word) index would read every variant beginning with it.
STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS search_word_words ON search_word (word) WHERE variant = word",
]

forwards = sql_migration(ID, DESCRIPTION, statements=STATEMENTS)
