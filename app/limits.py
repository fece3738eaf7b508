"""Maximum lengths of stored text, shared by the form parsers and the table columns.

A value longer than its limit is refused by the form with a field error, and the database
refuses it too (VARCHAR(n) on PostgreSQL, a trigger on SQLite), so no path can store more.
"""

from __future__ import annotations

EMAIL = 254  # RFC 5321 path limit
PERSON_NAME = 200
ORGANISATION_NAME = 200
PASSWORD = 128  # longer passphrases are refused before hashing
PASSWORD_HASH = 255
SIREN_INPUT = 20  # nine digits, with the spaces, dots or dashes people type
SIREN = 9
VAT_NUMBER = 13
LOCALE = 8
ROLE = 16
JOB_TITLE = 200  # a person's role in their company, as they describe it
CLAIM_STATUS = 16
TOKEN_PURPOSE = 32
SECRET_HASH = 96  # "<key id>$<64 hex>" or a plain SHA-256 in hex
ENCRYPTED_SECRET = 200
ONE_TIME_CODE = 32  # a 6-digit code or a recovery code, with the spaces people type
ROW_ID_INPUT = 12
URL_PATH = 2000  # a relative "next" destination
PROVIDER_NAME = 64
ISSUER = 500
SUBJECT = 255
AUDIT_ACTION = 64
AUDIT_TARGET = 254
IP_ADDRESS = 64
USER_AGENT = 300
COMPANY_NAME = 250  # SIRENE denominations run to 120 characters; room for usual names
SIGLE = 50
SEARCH_WORD = 30  # rules.TYPO_MAX_LENGTH
OTHER_NAMES_NORM = 1100  # sigle, usual names and signs, normalised for search
SLUG = 120
NAF_CODE = 8  # 62.01Z, or an older nomenclature's code as given
NAF_NOMENCLATURE = 8  # NAFRev2, NAFRev1, NAF1993, NAP
LEGAL_CATEGORY = 4
SIZE_BAND = 2
POSTCODE = 5
COMMUNE = 100
DEPARTEMENT = 3
DIFFUSION = 1
COMPANY_SOURCE = 16
INVOICE_REFERENCE = 64
CONFIDENCE = 8
IMPORT_KIND = 16
RECOMMENDATION_TEXT = 1000
PUBLIC_REPLY = 2000  # a debtor's answer to a published invoice
MODERATION_STATUS = 16
NAF_DIVISION = 2
SHORT_TEXT = 500  # free text on one line (reasons, labels)
LONG_TEXT = 5000  # free text on several lines (explanations, notes)

# Whole request bodies, in bytes: forms here are a few kilobytes, and there are no uploads yet.
# Above every field limit combined (a 1 MB value still gets its field error, 422), far below
# what would let a client make the server hold megabytes per request.
REQUEST_BODY_BYTES = 2 * 1024 * 1024
