"""Identifiers of French companies: SIREN, SIRET and intra-community VAT numbers."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import tva as stdnum_tva


class InvalidIdentifier(ValueError):
    """The text is not a valid SIREN or VAT number."""


def normalise_siren(text: str) -> str:
    """Nine digits with a valid Luhn key; spaces, dots and dashes are ignored."""
    try:
        return str(stdnum_siren.validate(text))
    except ValidationError as error:
        raise InvalidIdentifier(str(error)) from error


def vat_for(siren: str) -> str:
    """The French VAT number derived from a SIREN (numeric key), e.g. FR44732829320."""
    return "FR" + str(stdnum_siren.to_tva(normalise_siren(siren)))


def normalise_vat(text: str) -> str:
    """A French VAT number checked with the full algorithm (alphanumeric keys accepted)."""
    try:
        return "FR" + str(stdnum_tva.validate(text))
    except ValidationError as error:
        raise InvalidIdentifier(str(error)) from error
