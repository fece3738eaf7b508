"""Identifiers of French companies: SIREN, SIRET and intra-community VAT numbers."""

from __future__ import annotations

import re
import unicodedata
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


class Diffusion(StrEnum):
    """SIRENE's `statutDiffusion`: public, or partly masked at the person's request."""

    PUBLIC = "O"
    PARTIAL = "P"


class CompanySource(StrEnum):
    """Where a registry row came from."""

    SIRENE = "sirene"  # the INSEE stock files
    SIREN_ONLY = "siren_only"  # created from a SIREN alone (a creditor's debtor), details unknown
    DEMO = "demo"  # the fictitious companies of the demo data


NATURAL_PERSON_CATEGORY = "1000"  # catégorie juridique of an entreprise individuelle
SLUG_MAX = 120


def is_scored(*, diffusion: Diffusion, is_natural_person: bool) -> bool:
    """Only a legal person whose data is public gets a public score (and a publication).

    A sole trader, or a unit whose data is partly masked at a person's request, is shown by
    its SIREN and commune only.
    """
    return diffusion is Diffusion.PUBLIC and not is_natural_person


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def company_slug(name: str) -> str:
    """The readable part of a company's address: `Société Générale` → `societe-generale`."""
    folded = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return _NOT_SLUG.sub("-", ascii_only).strip("-")[:SLUG_MAX].rstrip("-")
