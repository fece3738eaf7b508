from app.db import sql_migration

ID = "2026-12-03T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the SIRENE import's rules as SQL functions (PostgreSQL)"

# The PostgreSQL import (app/companies/sirene_sql.py) applies the rules of
# app/companies/rules.py inside the database, on the rows COPY brought in. Each function here is
# the SQL twin of a Python one, and tests/integration/test_sirene_sql_rules.py holds them equal:
#   ponctuel_fold            rules._ascii_lower (ligatures, NFKD, ASCII only, lower case)
#   ponctuel_normalise_name  rules.normalise_name
#   ponctuel_slug            rules.company_slug
#   ponctuel_public          rules._public (trimmed, "" for a masked "[ND]")
#   ponctuel_joined          rules._joined of four values (each non-empty one once, by " | ")
#   ponctuel_departement     rules.departement_of
#   ponctuel_is_day          rules._day accepts it (YYYY-MM-DD, a day of the calendar)
# Python 3.11 and PostgreSQL 15 share Unicode 14, so NFKD gives the same letters on both.
# Each is one expression, without STRICT, so that the planner inlines it into the statement
# that calls it: called as functions, they cost more than the rest of the import.
FUNCTIONS = [
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN octet_length(value) = length(value) THEN lower(value)  -- ASCII already
        ELSE lower(regexp_replace(normalize(
          replace(replace(replace(replace(replace(
            translate(value, 'øØłŁ', 'oOlL'), 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE'),
            'ß', 'ss'),
          NFKD), '[^\x01-\x7f]+', '', 'g'))
      END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_normalise_name(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN value = '' THEN ''
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
    CREATE OR REPLACE FUNCTION ponctuel_slug(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT rtrim(left(btrim(regexp_replace(ponctuel_fold(value), '[^a-z0-9]+', '-', 'g'), '-'),
                        120), '-')
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_public(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN btrim(coalesce(value, ''), E' \t\n\r\x0b\x0c') = '[ND]' THEN ''
        ELSE btrim(coalesce(value, ''), E' \t\n\r\x0b\x0c') END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_joined(a text, b text, c text, d text, longest integer)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN b = '' AND c = '' AND d = '' THEN left(a, longest)
        ELSE left(concat_ws(' | ', nullif(a, ''),
          CASE WHEN b NOT IN ('', a) THEN b END,
          CASE WHEN c NOT IN ('', a, b) THEN c END,
          CASE WHEN d NOT IN ('', a, b, c) THEN d END), longest)
      END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_departement(commune_code text, postcode text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
        WHEN commune_code <> '' THEN
          CASE WHEN length(commune_code) <> 5 THEN ''
            WHEN commune_code LIKE '97%' OR commune_code LIKE '98%' THEN left(commune_code, 3)
            ELSE left(commune_code, 2) END
        WHEN length(postcode) <> 5 THEN ''
        WHEN postcode LIKE '97%' OR postcode LIKE '98%' THEN left(postcode, 3)
        WHEN postcode LIKE '20%' THEN
          CASE WHEN substr(postcode, 3, 1) IN ('0', '1') THEN '2A' ELSE '2B' END
        ELSE left(postcode, 2)
      END
    $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION ponctuel_is_day(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE
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
