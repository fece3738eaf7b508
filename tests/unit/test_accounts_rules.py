"""Account rules: email and password policy, roles, one-time secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts import rules
from app.i18n import gettext


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
        ("x" * 128, None),  # the longest allowed
        ("x" * 9, "too_short"),
        ("x" * 10, None),  # the shortest allowed
        ("correct horse battery staple", None),
        ("x" * 64, None),  # ASVS 6.2.9: at least 64 characters allowed
        ("tout-en-minuscules-sans-chiffres", None),  # no composition rules
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    assert rules.password_problem(password, email="") == problem


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


# --- two-factor authentication --------------------------------------------------------------

TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2026, 11, 23, 9, 30, 10, tzinfo=UTC)


def test_a_totp_step_lasts_thirty_seconds() -> None:
    start = rules.totp_step(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert rules.totp_step(datetime(2026, 11, 23, 9, 30, 29, tzinfo=UTC)) == start
    assert rules.totp_step(datetime(2026, 11, 23, 9, 30, 30, tzinfo=UTC)) == start + 1


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_codes_one_step_either_side_of_now_are_matched(offset: int, accepted: bool) -> None:
    code = pyotp.TOTP(TOTP_SEED).at(AT + timedelta(seconds=30 * offset))
    step = rules.matching_totp_step(TOTP_SEED, code, now=AT)
    assert step == (rules.totp_step(AT) + offset if accepted else None)


def test_a_code_of_another_seed_is_not_matched() -> None:
    code = pyotp.TOTP("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").at(AT)
    assert rules.matching_totp_step(TOTP_SEED, code, now=AT) is None


def test_new_seeds_are_random_base32_of_160_bits() -> None:
    first, second = rules.new_totp_secret(), rules.new_totp_secret()
    assert first != second and len(first) == 32
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def test_the_seed_is_shown_in_groups_of_four_and_as_an_otpauth_address() -> None:
    assert rules.grouped_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"
    uri = rules.totp_uri(TOTP_SEED, email="claire@example.com")
    assert uri.startswith("otpauth://totp/Ponctuel:claire%40example.com?")
    assert f"secret={TOTP_SEED}" in uri and "issuer=Ponctuel" in uri


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", rules.SecondFactor("totp", "123456")),
        (" 123 456 ", rules.SecondFactor("totp", "123456")),
        ("abcde-fghjk", rules.SecondFactor("recovery", "abcde-fghjk")),
        ("ABCDE FGHJK", rules.SecondFactor("recovery", "abcde-fghjk")),
        ("", None),
        ("12345", None),
        ("1234567", None),
        ("abc", None),
        ("abcde-fghjk-lmnop", None),
        ("١٢٣٤٥٦", None),  # non-ASCII digits are not codes
    ],
)
def test_second_factor_input_is_recognised(typed: str, expected: rules.SecondFactor | None) -> None:
    assert rules.parse_second_factor(typed) == expected


LOGIN_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "recent"),
    [
        (timedelta(0), True),  # the very moment of the login
        (timedelta(minutes=14, seconds=59), True),
        (timedelta(minutes=15), True),  # exactly the window: still recent
        (timedelta(minutes=15, microseconds=1), False),
        (
            timedelta(seconds=-1),
            False,
        ),  # a login "in the future" (a clock gone back) is not trusted
    ],
)
def test_a_start_is_within_its_window_bounds_included(elapsed: timedelta, recent: bool) -> None:
    assert (
        rules.started_within(LOGIN_AT, now=LOGIN_AT + elapsed, within=timedelta(minutes=15))
        is recent
    )


@pytest.mark.parametrize(
    ("problem", "french", "english"),
    [
        (
            "too_short",
            f"Le mot de passe doit contenir au moins {rules.PASSWORD_MIN_LENGTH} caractères.",
            f"The password must be at least {rules.PASSWORD_MIN_LENGTH} characters long.",
        ),
        (
            "too_long",
            f"Le mot de passe ne peut pas dépasser {rules.PASSWORD_MAX_LENGTH} caractères.",
            f"The password cannot be longer than {rules.PASSWORD_MAX_LENGTH} characters.",
        ),
    ],
)
def test_password_messages_carry_their_limits(problem: str, french: str, english: str) -> None:
    message = rules.password_message(problem)
    assert (gettext("fr", message), gettext("en", message)) == (french, english)


def test_emailed_secrets_are_256_bits_and_never_repeat() -> None:
    secrets = {rules.new_secret() for _ in range(200)}
    assert len(secrets) == 200 and {len(secret) for secret in secrets} == {43}


def test_names_are_ordered_by_their_letters_whatever_the_accents_and_case() -> None:
    assert rules.name_order("Élodie") == ("elodie", "Élodie")
    assert rules.name_order("Lætitia Œuvray") == ("laetitia oeuvray", "Lætitia Œuvray")
    names = ["fabre", "Élodie", "Zoé", "elodie", "Émile", "dupont", "Eléonore", "œuvre"]
    assert sorted(names, key=rules.name_order) == [
        "dupont",
        "Eléonore",
        "elodie",
        "Élodie",
        "Émile",
        "fabre",
        "œuvre",
        "Zoé",
    ]


FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ -'"


@given(st.text(alphabet=FRENCH_LETTERS + FRENCH_LETTERS.upper(), max_size=30))
def test_neither_case_nor_accents_move_a_name(name: str) -> None:
    letters, written = rules.name_order(name)
    assert written == name
    assert letters.isascii()
    assert letters == rules.name_order(name.upper())[0] == rules.name_order(name.lower())[0]
