from app.db import sql_migration

ID = "2026-12-04T19:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the import's SQL rules: ponctuel_public trims once, ponctuel_is_day a fast path"

# The import calls ponctuel_public on about fifteen fields of every row: trimming the value
# once instead of twice (once to compare it with "[ND]", once to return it) takes a tenth off
# the statement that applies the rules. ponctuel_is_day accepts a day up to the 28th of a month
# by one pattern, and does the arithmetic only for the others. Same results as before and as
# their Python twins (tests/integration/test_sirene_sql_rules.py).
FUNCTIONS = [
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_public(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT coalesce(nullif(btrim(coalesce(value, ''), E' \t\n\r\x0b\x0c'), '[ND]'), '')
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_is_day(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN value ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$'
          THEN substr(value, 1, 4) <> '0000'
        WHEN value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN false
        WHEN substr(value, 1, 4)::int < 1 OR substr(value, 6, 2)::int NOT BETWEEN 1 AND 12
          OR substr(value, 9, 2)::int < 1 THEN false
        ELSE substr(value, 9, 2)::int <= extract(day FROM
          make_date(substr(value, 1, 4)::int, substr(value, 6, 2)::int, 1)
          + interval '1 month' - interval '1 day')
      END
    $$
    """,
]

forwards = sql_migration(ID, DESCRIPTION, per_engine={"postgres": FUNCTIONS})
