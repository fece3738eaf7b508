"""The account forms' own checks, beyond the length and character rules every field has."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.accounts.forms import (
    ENTER_CODE,
    ENTER_OWN_EMAIL,
    EXPLANATION_MIN_LENGTH,
    parse_account_closure,
    parse_claim,
    parse_invitation,
    parse_login,
    parse_new_password,
    parse_role_change,
    parse_signup,
    parse_totp_disable,
)
from app.forms import Form
from app.i18n import gettext

CLAIM = {
    "siren": "732829320",
    "organisation_name": "Dupont Menuiserie",
    "claimant_name": "Claire Dupont",
    "claimant_role": "Gérante",
}


@pytest.mark.parametrize(
    ("length", "accepted"),
    [(EXPLANATION_MIN_LENGTH - 1, False), (EXPLANATION_MIN_LENGTH, True)],
)
def test_a_claim_explains_itself_in_at_least_thirty_characters(length: int, accepted: bool) -> None:
    form = parse_claim({**CLAIM, "explanation": "x" * length})
    assert form.is_valid is accepted
    if not accepted:
        assert gettext("fr", form.errors["explanation"]) == (
            f"Donnez un peu plus de détails ({EXPLANATION_MIN_LENGTH} caractères au moins)."
        )


def test_an_explanation_with_forbidden_characters_keeps_that_reason() -> None:
    form = parse_claim({**CLAIM, "explanation": "court\x00"})
    assert gettext("fr", form.errors["explanation"]) == (
        "Ce champ contient des caractères non autorisés."
    )


STRONG = "Un cheval brun traverse la Loire"


def test_a_new_password_is_typed_twice_the_same() -> None:
    same = parse_new_password(
        {"password": STRONG, "password_confirm": STRONG}, email="claire@example.com"
    )
    different = parse_new_password(
        {"password": STRONG, "password_confirm": STRONG + "!"}, email="claire@example.com"
    )
    assert same.errors == {}
    assert different.errors == {
        "password_confirm": "Les deux mots de passe ne sont pas identiques."
    }


def test_a_refused_password_is_not_also_reported_as_different_from_its_confirmation() -> None:
    form = parse_new_password({"password": "court", "password_confirm": ""}, email="c@example.com")
    assert list(form.errors) == ["password"]


def test_a_signup_refuses_the_email_address_name_as_password() -> None:
    data = {
        "full_name": "Claire Dupont",
        "email": "claire.dupont.menuiserie@example.com",
        "organisation_name": "Dupont Menuiserie",
        "siren": "732829320",
        "password": "Claire.Dupont.Menuiserie",
    }
    assert parse_signup(data).errors == {
        "password": "Ce mot de passe est trop courant : choisissez-en un autre."
    }
    assert parse_signup({**data, "password": STRONG}).errors == {}


ROLE_FORMS = {
    "role change": lambda role: parse_role_change({"role": role}),
    "invitation": lambda role: parse_invitation({"email": "jeanne@example.com", "role": role}),
}


@pytest.mark.parametrize("parse", ROLE_FORMS.values(), ids=ROLE_FORMS.keys())
@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_a_role_is_one_of_the_three_roles(parse: Callable[[str], Form], role: str) -> None:
    assert parse(role).errors == {}


@pytest.mark.parametrize("parse", ROLE_FORMS.values(), ids=ROLE_FORMS.keys())
@pytest.mark.parametrize("role", ["", "superuser", "OWNER"])
def test_any_other_role_is_refused(parse: Callable[[str], Form], role: str) -> None:
    assert parse(role).errors == {"role": "Choisissez un rôle valide."}


def test_a_siren_refused_for_its_characters_keeps_that_reason() -> None:
    form = parse_signup({"full_name": "Claire", "email": "c@example.com", "siren": "732\x00829320"})
    assert gettext("fr", form.errors["siren"]) == "Ce champ contient des caractères non autorisés."


def test_a_password_refused_for_its_characters_keeps_that_reason() -> None:
    form = parse_new_password(
        {"password": "Un cheval\x00brun traverse", "password_confirm": ""}, email="c@example.com"
    )
    assert form.errors == {"password": "Ce champ contient des caractères non autorisés."}


@pytest.mark.parametrize("email", ["not-an-address", "claire@", "@example.com"])
def test_an_invitation_to_something_that_is_not_an_address_is_refused(email: str) -> None:
    form = parse_invitation({"email": email, "role": "member"})
    assert form.errors == {"email": "Saisissez une adresse e-mail valide."}


WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."


@pytest.mark.parametrize(
    "data",
    [
        {"email": "claire@example.com\x00", "password": "un mot de passe"},
        {"email": "claire@example.com", "password": "un mot\x00de passe"},
        {"email": "claire@example.com", "password": ""},
    ],
    ids=["bad email characters", "bad password characters", "no password"],
)
def test_a_login_that_cannot_match_gets_the_one_login_answer(data: dict[str, str]) -> None:
    assert parse_login(data).errors == {"form": WRONG_LOGIN}


def test_a_login_email_is_normalised_or_tried_as_typed() -> None:
    # the decomposed "é" typed on some keyboards becomes the single character stored at signup
    normalised = parse_login({"email": " Cle\u0301ment@Example.COM ", "password": "x"})
    as_typed = parse_login({"email": "Not An Address", "password": "x"})
    assert (normalised.errors, normalised.values["email"]) == ({}, "cl\u00e9ment@example.com")
    assert (as_typed.errors, as_typed.values["email"]) == ({}, "not an address")


def test_an_unreadable_address_to_close_an_account_keeps_its_own_reason() -> None:
    form = parse_account_closure({"confirm_email": "moi\x00@example.com"}, has_password=False)
    assert form.errors["confirm_email"] != str(ENTER_OWN_EMAIL)
    assert parse_account_closure({}, has_password=False).errors == {
        "confirm_email": ENTER_OWN_EMAIL
    }


def test_an_unreadable_code_to_turn_off_two_factor_keeps_its_own_reason() -> None:
    form = parse_totp_disable({"disable_code": "12\x003456"}, has_password=False)
    assert form.errors["disable_code"] != str(ENTER_CODE)
    assert parse_totp_disable({}, has_password=False).errors == {"disable_code": ENTER_CODE}
