"""SIREN and VAT numbers (law-and-safety.md §2, checklist items 8 and 9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from app.companies.rules import InvalidIdentifier, normalise_siren, normalise_vat, vat_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        ("732.829.320", "732829320"),
        ("356000000", "356000000"),  # La Poste's SIREN passes Luhn
    ],
)
def test_valid_sirens_are_normalised(text: str, expected: str) -> None:
    assert normalise_siren(text) == expected


@pytest.mark.parametrize("text", ["732829321", "73282932", "7328293200", "ABCDEFGHI", ""])
def test_invalid_sirens_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_siren(text)


def test_vat_number_is_derived_from_the_siren() -> None:
    assert vat_for("732829320") == "FR44732829320"


@pytest.mark.parametrize("text", ["FR44732829320", "FR 44 732 829 320", "FRK7399859412"])
def test_given_vat_numbers_use_the_full_algorithm(text: str) -> None:
    assert normalise_vat(text).startswith("FR")


def test_vat_number_with_a_wrong_key_is_refused() -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_vat("FR84323140391")


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_every_luhn_completed_siren_is_accepted_and_has_a_valid_vat(body: str) -> None:
    siren = body + luhn.calc_check_digit(body)
    assert normalise_siren(siren) == siren
    vat = vat_for(siren)
    assert vat.endswith(siren) and normalise_vat(vat) == vat


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_siren_is_accepted_exactly_when_its_luhn_key_is_right(siren: str) -> None:
    if luhn.is_valid(siren):
        assert normalise_siren(siren) == siren
    else:
        with pytest.raises(InvalidIdentifier):
            normalise_siren(siren)
