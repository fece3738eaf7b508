from app.db import sql_migration

ID = "2026-12-04T23:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the import's SQL rules: ponctuel_joined inlined, slugs from normalised names"

# ponctuel_joined called concat_ws, which PostgreSQL counts as stable, not immutable: it would
# not inline the function, declared immutable, into the statement, and each call cost as much as
# the rest of the unit's rules together. The same result is built here with ||.
# Most names are plain ASCII without an apostrophe or a dot: their normalised form and their
# slug are the same words, between spaces in one and hyphens in the other, and the import
# derives the slug from the normalised name rather than folding the name a second time.
# Blank names (most units have no sigle nor usual name) are normalised without a pattern.
# Same results as before and as their Python twins (tests/integration/test_sirene_sql_rules.py).
FUNCTIONS = [
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_joined(a text, b text, c text, d text, longest integer)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN b = '' AND c = '' AND d = '' THEN left(a, longest)
        ELSE left(substr(  -- each kept value after " | ", the first of them cut off
          CASE WHEN a <> '' THEN ' | ' || a ELSE '' END
          || CASE WHEN b NOT IN ('', a) THEN ' | ' || b ELSE '' END
          || CASE WHEN c NOT IN ('', a, b) THEN ' | ' || c ELSE '' END
          || CASE WHEN d NOT IN ('', a, b, c) THEN ' | ' || d ELSE '' END, 4), longest)
      END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_normalise_name(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN btrim(value, ' ') = '' THEN ''
        -- ASCII without an apostrophe or a dot: no elision and no dotted sigle to look for
        WHEN octet_length(value) = length(value) AND strpos(value, '''') = 0
          AND strpos(value, '`') = 0 AND strpos(value, '.') = 0
          THEN btrim(regexp_replace(lower(value), '[^0-9a-z]+', ' ', 'g'), ' ')
        ELSE btrim(regexp_replace(regexp_replace(regexp_replace(
          ponctuel_fold(replace(value, '’', '''')),
          '(?<![0-9a-z_])(l|d|j|m|n|s|t|qu|jusqu|lorsqu|puisqu)[''`]', '', 'g'),
          '(?<![0-9a-z_])([0-9a-z_])\.(?=[0-9a-z_](?![0-9a-z_]))', '\1', 'g'),
          '[^0-9a-z]+', ' ', 'g'), ' ')
      END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_slug(value text, normalised text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN octet_length(value) = length(value) AND strpos(value, '''') = 0
          AND strpos(value, '`') = 0 AND strpos(value, '.') = 0
          THEN rtrim(left(replace(normalised, ' ', '-'), 120), '-')
        ELSE ponctuel_slug(value)
      END
    $$
    """,
]

forwards = sql_migration(ID, DESCRIPTION, per_engine={"postgres": FUNCTIONS})
