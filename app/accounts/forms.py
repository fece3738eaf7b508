"""Account form parsing: plain values in, cleaned values or field errors out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from app.accounts.rules import InvalidEmail, normalise_email
from app.companies.rules import InvalidIdentifier, normalise_siren
from app.errors import N_

FieldErrors = dict[str, str]


@dataclass
class Form:
    """Submitted values (for re-display) and errors by field name."""

    values: dict[str, str]
    errors: FieldErrors = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _clean(data: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(data.get(name, "")).strip() for name in names}


def _check_email(form: Form, name: str = "email") -> None:
    try:
        form.values[name] = normalise_email(form.get(name))
    except InvalidEmail:
        form.errors[name] = N_("Saisissez une adresse e-mail valide.")


def _check_owner_and_company(form: Form) -> None:
    """The person's name and the company they create, identified by its SIREN."""
    if not form.get("full_name"):
        form.errors["full_name"] = N_("Indiquez votre nom.")
    if not form.get("organisation_name"):
        form.errors["organisation_name"] = N_("Indiquez le nom de votre entreprise.")
    try:
        form.values["siren"] = normalise_siren(form.get("siren"))
    except InvalidIdentifier:
        form.errors["siren"] = N_("Ce numéro SIREN n'est pas valide (9 chiffres).")


def parse_signup(data: Mapping[str, str]) -> Form:
    form = Form(_clean(data, ("full_name", "email", "organisation_name", "siren")))
    form.values["password"] = str(data.get("password", ""))
    _check_owner_and_company(form)
    _check_email(form)
    if not form.values["password"]:
        form.errors["password"] = N_("Choisissez un mot de passe.")
    return form


def parse_provider_signup(data: Mapping[str, str]) -> Form:
    """The company details a newcomer gives after logging in with a provider."""
    form = Form(_clean(data, ("full_name", "organisation_name", "siren")))
    _check_owner_and_company(form)
    return form


def parse_login(data: Mapping[str, str]) -> Form:
    form = Form(_clean(data, ("email", "next")))
    form.values["password"] = str(data.get("password", ""))
    try:
        form.values["email"] = normalise_email(form.get("email"))
    except InvalidEmail:
        form.values["email"] = form.get("email").lower()
    if not form.get("email") or not form.values["password"]:
        form.errors["form"] = N_("Adresse e-mail ou mot de passe incorrect.")
    return form


def parse_email_only(data: Mapping[str, str]) -> Form:
    form = Form(_clean(data, ("email",)))
    _check_email(form)
    return form


def parse_new_password(data: Mapping[str, str]) -> Form:
    form = Form({"password": str(data.get("password", ""))})
    if form.values["password"] != str(data.get("password_confirm", "")):
        form.errors["password_confirm"] = N_("Les deux mots de passe ne sont pas identiques.")
    return form


def parse_change_password(data: Mapping[str, str]) -> Form:
    form = parse_new_password(data)
    form.values["current_password"] = str(data.get("current_password", ""))
    if not form.values["current_password"]:
        form.errors["current_password"] = N_("Saisissez votre mot de passe actuel.")
    return form


INVITABLE_ROLES = ("member", "admin", "owner")


def parse_invitation(data: Mapping[str, str]) -> Form:
    """An invitation to send: the invitee's address and the role offered."""
    form = Form(_clean(data, ("email", "role")))
    _check_email(form)
    if form.get("role") not in INVITABLE_ROLES:
        form.errors["role"] = N_("Choisissez un rôle valide.")
    return form


def parse_invitation_signup(data: Mapping[str, str]) -> Form:
    """The short signup of an invitee: a name and a password (the address comes from the link)."""
    form = Form(_clean(data, ("full_name",)))
    form.values["password"] = str(data.get("password", ""))
    if not form.get("full_name"):
        form.errors["full_name"] = N_("Indiquez votre nom.")
    if not form.values["password"]:
        form.errors["password"] = N_("Choisissez un mot de passe.")
    return form
