"""Identifiers of French companies: SIREN, SIRET and intra-community VAT numbers."""

from __future__ import annotations

from enum import StrEnum

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import tva as stdnum_tva

SIREN_LENGTH = 9
# INSEE numbers legal units with an eight-digit sequence number followed by a Luhn key, and
# hands out sequence numbers from 00000001 up: the all-zero sequence is never attributed.
# It is the only sequence whose Luhn-valid number (000000000) looks well formed.
NEVER_ATTRIBUTED_SEQUENCES = frozenset({"00000000"})
_SEPARATORS = " .-\u00a0\u202f"  # what people type between the groups of digits


class SirenProblem(StrEnum):
    """Why a text is not the SIREN of a company."""

    FORMAT = "format"  # not nine digits
    CHECKSUM = "checksum"  # nine digits with a wrong Luhn key: a typing mistake
    NEVER_ATTRIBUTED = "never_attributed"  # well formed, but INSEE never gives it out


class InvalidIdentifier(ValueError):
    """The text is not a valid SIREN or VAT number."""


class UnattributedSiren(InvalidIdentifier):
    """Nine digits with a valid key that INSEE never attributes to any company."""


def compact_siren(text: str) -> str:
    """The text without the spaces, dots and dashes typed between groups of digits."""
    return "".join(char for char in text.strip() if char not in _SEPARATORS)


def siren_problem(text: str) -> SirenProblem | None:
    """None when the text is a SIREN INSEE can have attributed, else what is wrong with it."""
    digits = compact_siren(text)
    if len(digits) != SIREN_LENGTH or not (digits.isascii() and digits.isdigit()):
        return SirenProblem.FORMAT
    if not luhn.is_valid(digits):
        return SirenProblem.CHECKSUM
    if digits[:-1] in NEVER_ATTRIBUTED_SEQUENCES:
        return SirenProblem.NEVER_ATTRIBUTED
    return None


def normalise_siren(text: str) -> str:
    """Nine digits with a valid Luhn key that INSEE may attribute; separators are ignored."""
    problem = siren_problem(text)
    if problem is SirenProblem.NEVER_ATTRIBUTED:
        raise UnattributedSiren(f"{compact_siren(text)} is never attributed by INSEE")
    if problem is not None:
        raise InvalidIdentifier(f"not a SIREN ({problem})")
    return compact_siren(text)


def format_siren(siren: str) -> str:
    """A SIREN as it is printed, in groups of three that never break: 552 120 222.

    Any other text (none, or a number typed wrong) is shown as it is.
    """
    if len(compact_siren(siren)) != SIREN_LENGTH:
        return siren
    return str(stdnum_siren.format(siren)).replace(" ", "\u00a0")


def withdrawn_siren_marker(organisation_id: int) -> str:
    """What stands in the SIREN column of an organisation whose SIREN was withdrawn.

    Nine digits (the id, then a key one off the Luhn key), so it fits the column, is unique
    per organisation and can never be a real SIREN: every real SIREN has a valid key.
    """
    if not 0 < organisation_id < 10 ** (SIREN_LENGTH - 1):
        raise ValueError("organisation id out of range for a withdrawn-SIREN marker")
    body = f"{organisation_id:0{SIREN_LENGTH - 1}d}"
    wrong_key = (int(luhn.calc_check_digit(body)) + 1) % 10
    return f"{body}{wrong_key}"


def vat_for(siren: str) -> str:
    """The French VAT number derived from a SIREN (numeric key), e.g. FR44732829320."""
    return "FR" + str(stdnum_siren.to_tva(normalise_siren(siren)))


def normalise_vat(text: str) -> str:
    """A French VAT number checked with the full algorithm (alphanumeric keys accepted)."""
    try:
        return "FR" + str(stdnum_tva.validate(text))
    except ValidationError as error:
        raise InvalidIdentifier(str(error)) from error
