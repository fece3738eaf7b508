"""Account rules: email and password policy, roles, one-time secrets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Claire.Dupont@Example.com", "claire.dupont@example.com"),
        ("  claire@example.com ", "claire@example.com"),
    ],
)
def test_emails_are_normalised_to_lower_case(text: str, expected: str) -> None:
    assert rules.normalise_email(text) == expected


@pytest.mark.parametrize("text", ["", "claire", "claire@", "@example.com", "a b@example.com"])
def test_malformed_emails_are_refused(text: str) -> None:
    with pytest.raises(rules.InvalidEmail):
        rules.normalise_email(text)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "too_short"),
        ("password123", "too_common"),
        ("Password123!", "too_common"),
        ("qwertyuiop", "too_common"),
        ("x" * 129, "too_long"),
        ("correct horse battery staple", None),
        ("x" * 64, None),  # ASVS 6.2.9: at least 64 characters allowed
        ("tout-en-minuscules-sans-chiffres", None),  # no composition rules
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    assert rules.password_problem(password) == problem


def test_password_equal_to_the_email_name_is_refused() -> None:
    assert (
        rules.password_problem("claire.dupont", email="claire.dupont@example.com") == "too_common"
    )


@pytest.mark.parametrize(
    ("granter", "role", "allowed"),
    [
        ("owner", "owner", True),
        ("owner", "admin", True),
        ("owner", "member", True),
        ("admin", "owner", False),
        ("admin", "admin", True),
        ("admin", "member", True),
        ("member", "member", False),
        ("member", "admin", False),
        ("owner", "superuser", False),
    ],
)
def test_who_can_grant_which_role(granter: str, role: str, allowed: bool) -> None:
    assert rules.can_grant(granter, role) is allowed


def test_only_admins_and_owners_manage_members() -> None:
    assert [rules.can_manage_members(r) for r in ("owner", "admin", "member", "")] == [
        True,
        True,
        False,
        False,
    ]


def test_secrets_are_long_random_and_hashed_deterministically() -> None:
    first, second = rules.new_secret(), rules.new_secret()
    assert first != second and len(first) >= 43
    assert rules.secret_hash(first) == rules.secret_hash(first)
    assert rules.secret_hash(first) != rules.secret_hash(second)
    assert len(rules.secret_hash(first)) == 64


def test_recovery_codes_are_distinct_and_well_formed() -> None:
    codes = rules.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)


@given(st.sampled_from(rules.new_recovery_codes(50)))
def test_recovery_codes_survive_sloppy_typing(code: str) -> None:
    sloppy = f"  {code.upper().replace('-', ' ')} "
    assert rules.normalise_recovery_code(sloppy) == code
