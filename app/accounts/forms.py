"""Account form parsing: submitted values in, cleaned values or field errors out.

Every field is declared with its maximum length (app.limits) and read through app.forms, which
refuses control characters; the functions here add the account rules (email shape, SIREN,
password policy, roles) and report every error of a form at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from app import limits
from app.accounts.rules import (
    InvalidEmail,
    Role,
    normalise_email,
    password_message,
    password_problem,
)
from app.companies.rules import InvalidIdentifier, UnattributedSiren, normalise_siren
from app.errors import N_, Text
from app.forms import Field, Form, read_form

WRONG_LOGIN = N_("Adresse e-mail ou mot de passe incorrect.")
INVALID_SIREN = N_("Ce numéro SIREN n'est pas valide (9 chiffres).")
UNATTRIBUTED_SIREN = N_(
    "Ce numéro SIREN n'existe pas : l'INSEE ne l'attribue à aucune entreprise. Recopiez celui "
    "de votre extrait Kbis ou de votre avis de situation au répertoire Sirene."
)

EMAIL = Field("email", limits.EMAIL, required=N_("Saisissez une adresse e-mail valide."))
FULL_NAME = Field("full_name", limits.PERSON_NAME, required=N_("Indiquez votre nom."))
ORGANISATION_NAME = Field(
    "organisation_name",
    limits.ORGANISATION_NAME,
    required=N_("Indiquez le nom de votre entreprise."),
)
SIREN = Field("siren", limits.SIREN_INPUT, required=INVALID_SIREN)
NEW_PASSWORD = Field(
    "password", limits.PASSWORD, required=N_("Choisissez un mot de passe."), strip=False
)
PASSWORD_CONFIRM = Field("password_confirm", limits.PASSWORD, strip=False)
CURRENT_PASSWORD = Field(
    "current_password",
    limits.PASSWORD,
    required=N_("Saisissez votre mot de passe actuel."),
    strip=False,
)
LOGIN_PASSWORD = Field("password", limits.PASSWORD, strip=False)
NEXT = Field("next", limits.URL_PATH)
ROLE = Field("role", limits.ROLE)
ENTER_CODE = N_("Saisissez le code à 6 chiffres affiché par votre application.")
ENTER_PASSWORD = N_("Saisissez votre mot de passe.")
CODE = Field("code", limits.ONE_TIME_CODE, required=ENTER_CODE)
LOGIN_CODE = Field(
    "code",
    limits.ONE_TIME_CODE,
    required=N_("Saisissez le code affiché par votre application, ou un code de secours."),
)
REAUTH_PASSWORD = Field("password", limits.PASSWORD, strip=False)
DISABLE_PASSWORD = Field("disable_password", limits.PASSWORD, strip=False)
DISABLE_CODE = Field("disable_code", limits.ONE_TIME_CODE)
REGENERATE_CODE = Field("regenerate_code", limits.ONE_TIME_CODE, required=ENTER_CODE)
CONFIRM_EMAIL = Field("confirm_email", limits.EMAIL)
ENTER_OWN_EMAIL = N_("Saisissez l'adresse e-mail de ce compte.")
ORGANISATION_ID = Field("organisation_id", limits.ROW_ID_INPUT)
LOCALE = Field("locale", limits.LOCALE)
CLAIMANT_NAME = Field(
    "claimant_name", limits.PERSON_NAME, required=N_("Indiquez vos nom et prénom.")
)
CLAIMANT_ROLE = Field(
    "claimant_role",
    limits.JOB_TITLE,
    required=N_("Indiquez votre fonction dans l'entreprise (gérant, comptable…)."),
)
EXPLANATION = Field(
    "explanation",
    limits.LONG_TEXT,
    required=N_("Expliquez pourquoi ce SIREN est celui de votre entreprise."),
    multiline=True,
)
EXPLANATION_MIN_LENGTH = 30

INVITABLE_ROLES = tuple(Role)


def _check_email(form: Form, name: str = "email") -> None:
    if name in form.errors:
        return
    try:
        form.values[name] = normalise_email(form.get(name))
    except InvalidEmail:
        form.errors[name] = N_("Saisissez une adresse e-mail valide.")


def _check_siren(form: Form) -> None:
    if "siren" in form.errors:
        return
    try:
        form.values["siren"] = normalise_siren(form.get("siren"))
    except UnattributedSiren:
        form.errors["siren"] = UNATTRIBUTED_SIREN
    except InvalidIdentifier:
        form.errors["siren"] = INVALID_SIREN


def _check_new_password(form: Form, *, email: str) -> None:
    if "password" in form.errors:
        return
    problem = password_problem(form.get("password"), email=email)
    if problem:
        form.errors["password"] = password_message(problem)


def parse_signup(data: Mapping[str, str]) -> Form:
    form = read_form(data, (FULL_NAME, EMAIL, ORGANISATION_NAME, SIREN, NEW_PASSWORD))
    _check_siren(form)
    _check_email(form)
    _check_new_password(form, email=form.get("email"))
    return form


def parse_new_organisation(data: Mapping[str, str]) -> Form:
    """The company a logged-in user creates and will own."""
    form = read_form(data, (ORGANISATION_NAME, SIREN))
    _check_siren(form)
    return form


def parse_provider_signup(data: Mapping[str, str]) -> Form:
    """The company details a newcomer gives after logging in with a provider."""
    form = read_form(data, (FULL_NAME, ORGANISATION_NAME, SIREN))
    _check_siren(form)
    return form


def parse_login(data: Mapping[str, str]) -> Form:
    """Email and password of a login; a malformed email is tried as typed (same answer)."""
    form = read_form(data, (EMAIL, LOGIN_PASSWORD, NEXT))
    if "email" in form.errors or "password" in form.errors:
        form.errors = {"form": WRONG_LOGIN}
        return form
    try:
        form.values["email"] = normalise_email(form.get("email"))
    except InvalidEmail:
        form.values["email"] = form.get("email").lower()
    if not form.get("password"):
        form.errors["form"] = WRONG_LOGIN
    return form


def parse_email_only(data: Mapping[str, str]) -> Form:
    form = read_form(data, (EMAIL,))
    _check_email(form)
    return form


def parse_new_password(data: Mapping[str, str], *, email: str) -> Form:
    form = read_form(data, (NEW_PASSWORD, PASSWORD_CONFIRM))
    _check_new_password(form, email=email)
    if "password" not in form.errors and form.get("password") != form.get("password_confirm"):
        form.errors["password_confirm"] = N_("Les deux mots de passe ne sont pas identiques.")
    return form


def parse_change_password(data: Mapping[str, str], *, email: str) -> Form:
    form = parse_new_password(data, email=email)
    current = read_form(data, (CURRENT_PASSWORD,))
    form.values.update(current.values)
    form.errors.update(current.errors)
    return form


def parse_invitation(data: Mapping[str, str]) -> Form:
    """An invitation to send: the invitee's address and the role offered."""
    form = read_form(data, (EMAIL, ROLE))
    _check_email(form)
    _check_role(form)
    return form


def parse_invitation_signup(data: Mapping[str, str], *, email: str) -> Form:
    """The short signup of an invitee: a name and a password (the address comes from the link)."""
    form = read_form(data, (FULL_NAME, NEW_PASSWORD))
    _check_new_password(form, email=email)
    return form


def parse_role_change(data: Mapping[str, str]) -> Form:
    form = read_form(data, (ROLE,))
    _check_role(form)
    return form


def _check_role(form: Form) -> None:
    if form.get("role") not in INVITABLE_ROLES:
        form.errors["role"] = N_("Choisissez un rôle valide.")


def _require_password(form: Form, name: str, *, has_password: bool) -> None:
    """An account with a password proves itself with it again; one without has none to give."""
    if has_password and not form.get(name) and name not in form.errors:
        form.errors[name] = ENTER_PASSWORD


def parse_totp_setup(data: Mapping[str, str], *, has_password: bool) -> Form:
    """The code shown by the app for the new seed, and the password again."""
    form = read_form(data, (CODE, REAUTH_PASSWORD))
    _require_password(form, "password", has_password=has_password)
    return form


def parse_password_check(data: Mapping[str, str]) -> Form:
    """The account's password, asked again before a provider is linked to it."""
    return read_form(data, (REAUTH_PASSWORD,))


def parse_second_factor(data: Mapping[str, str]) -> Form:
    return read_form(data, (LOGIN_CODE,))


def parse_totp_disable(data: Mapping[str, str], *, has_password: bool) -> Form:
    """The password, or for an account without one a current code."""
    form = read_form(data, (DISABLE_PASSWORD, DISABLE_CODE))
    _require_password(form, "disable_password", has_password=has_password)
    _require_instead_of_password(form, "disable_code", ENTER_CODE, has_password=has_password)
    return form


def parse_account_closure(data: Mapping[str, str], *, has_password: bool) -> Form:
    """The password again; an account without one types its email address instead."""
    form = read_form(data, (REAUTH_PASSWORD, CONFIRM_EMAIL))
    _require_password(form, "password", has_password=has_password)
    _require_instead_of_password(form, "confirm_email", ENTER_OWN_EMAIL, has_password=has_password)
    return form


def _require_instead_of_password(
    form: Form, name: str, message: str, *, has_password: bool
) -> None:
    """An account without a password confirms with `name` instead: required then, unless it
    was already refused for a reason of its own."""
    if not has_password and not form.get(name) and name not in form.errors:
        form.errors[name] = message


def parse_recovery_regeneration(data: Mapping[str, str]) -> Form:
    return read_form(data, (REGENERATE_CODE,))


def parse_organisation_switch(data: Mapping[str, str]) -> int:
    """The organisation asked for; 0 (no organisation) for anything that is not an id."""
    raw = read_form(data, (ORGANISATION_ID,)).get("organisation_id")
    return int(raw) if raw.isascii() and raw.isdigit() else 0


def parse_locale(data: Mapping[str, str]) -> Form:
    return read_form(data, (LOCALE, NEXT))


def parse_claim(data: Mapping[str, str]) -> Form:
    """A claim on a SIREN: the company, who the claimant is and why the SIREN is theirs."""
    form = read_form(data, (SIREN, ORGANISATION_NAME, CLAIMANT_NAME, CLAIMANT_ROLE, EXPLANATION))
    _check_siren(form)
    if "explanation" not in form.errors and len(form.get("explanation")) < EXPLANATION_MIN_LENGTH:
        form.errors["explanation"] = Text(
            N_("Donnez un peu plus de détails (%(min)s caractères au moins)."),
            min=EXPLANATION_MIN_LENGTH,
        )
    return form
