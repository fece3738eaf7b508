"""Plain async builders of coherent data, with defaults a test can override."""

from __future__ import annotations

import html
import itertools
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx

from app.accounts.service.signup import open_organisation
from app.accounts.tables import AuditEvent, Membership, Organisation, Role, User
from app.companies.rules import CompanySource, company_slug, normalise_name, vat_for
from app.companies.tables import Company
from app.dev.sirene_files import siren_for
from app.security import Passwords

PASSWORD = "correct horse battery staple"
# An operator's own details, as production requires them in place of the example company.
OPERATOR = {
    "operator_name": "Relances Rapides SAS",
    "operator_siren": "900000001",
    "operator_address": "2 place du Marché, 69001 Lyon",
    "operator_email": "bonjour@relances.example",
    "operator_phone": "04 00 00 00 00",
    "publication_director": "Alex Dupont, président",
    "privacy_email": "dpo@relances.example",
}
AT = datetime(2026, 1, 1, tzinfo=UTC)
_sequence = itertools.count(1)
FACTORY_SIRENS = 5_000_000  # make_company's SIRENs: siren_for(5,000,000 + n)
_passwords = Passwords("cheapest")

# Valid SIRENs (Luhn) for distinct test organisations.
SIRENS = ["732829320", "552100554", "542065479", "356000000", "443061841", "775665011"]


async def make_user(
    *,
    email: str | None = None,
    password: str = PASSWORD,
    full_name: str = "Claire Dupont",
    verified: bool = True,
    locale: str = "fr",
) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@example.com",
        full_name=full_name,
        password_hash=await _passwords.hash(password),
        email_verified_at=AT if verified else None,
        locale=locale,
        created_at=AT,
    )
    await user.save()
    return user


async def _free_siren(n: int) -> str:
    """The nth SIREN of the list, or the next one no organisation holds."""
    start = n % len(SIRENS)
    for siren in SIRENS[start:] + SIRENS[:start]:
        if not await Organisation.exists().where(Organisation.siren == siren):
            return siren
    raise AssertionError("every test SIREN is taken: add valid ones to SIRENS")


async def free_siren() -> str:
    """A valid SIREN no organisation holds yet."""
    return await _free_siren(next(_sequence))


async def make_organisation(*, name: str | None = None, siren: str | None = None) -> Organisation:
    """An organisation nobody belongs to yet."""
    n = next(_sequence)
    siren = siren or await _free_siren(n)
    org = Organisation(
        name=name or f"Entreprise {n}",
        siren=siren,
        vat_number=vat_for(siren),
        created_at=AT,
    )
    await org.save()
    return org


async def make_company(**fields: Any) -> Company:
    """A registry company with public data; a SIREN of its own unless given."""
    n = next(_sequence)
    name = str(fields.get("name", f"Débiteur {n}"))
    company = Company(
        **{
            "siren": siren_for(FACTORY_SIRENS + n),  # apart from the SIRENE test files' ones
            "name": name,
            "name_norm": normalise_name(name),
            "slug": company_slug(name),
            "commune": "Lyon",
            "source": CompanySource.SIRENE,
            "updated_at": AT,
            **fields,
        }
    )
    await company.save()
    return company


async def make_creditor(
    *,
    role: Role = Role.OWNER,
    organisation: Organisation | None = None,
    existing: User | None = None,
    **user_fields: Any,
) -> tuple[User, Organisation]:
    """A verified user who belongs to an organisation: a new one they own, unless given.

    `existing` joins that user to the organisation instead of making a new one.
    """
    user = existing or await make_user(**user_fields)
    if organisation is None and role == Role.OWNER:
        n = next(_sequence)
        org = await open_organisation(
            user_id=user.id, name=f"Entreprise {n}", siren=await _free_siren(n), now=AT
        )
        return user, org
    org = organisation or await make_organisation()
    await Membership(user=user.id, organisation=org.id, role=role, created_at=AT).save()
    await User.update({User.last_organisation_id: org.id}).where(User.id == user.id)
    return user, org


def csrf_token(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("csrftoken")
    assert token, "GET a page first: the CSRF cookie is set on the first response"
    return token


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str], **kwargs: Any
) -> Any:
    """POST a form the way a browser does, with the CSRF field from the cookie."""
    if not client.cookies.get("csrftoken"):
        await client.get("/login")  # a page with a form; shared public pages set no cookie
    return await client.post(url, data={**data, "_csrf_token": csrf_token(client)}, **kwargs)


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 200, response.text[:500]
    return response


AUDITED = ("user", "organisation", "actor_email", "target", "ip", "user_agent", "is_success")


async def audit_trail(*actions: str) -> list[dict[str, Any]]:
    """The audit log's rows of those actions, oldest first, without ids and instants."""
    rows = await (
        AuditEvent.select(*(getattr(AuditEvent, name) for name in AUDITED))
        .where(AuditEvent.action.is_in(list(actions)))
        .order_by(AuditEvent.id)
    )
    return [dict(row) for row in rows]


class _TableCells(HTMLParser):
    """Collects the text of each <td> of each <tbody> row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


class _Definitions(HTMLParser):
    """Collects <dt>/<dd> pairs, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[list[str]] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "dt":
            self.pairs.append(["", ""])
        if tag in ("dt", "dd") and self.pairs:
            self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._tag = ""

    def handle_data(self, data: str) -> None:
        if self._tag:
            self.pairs[-1][0 if self._tag == "dt" else 1] += data


def definitions(html: str) -> dict[str, str]:
    """A page's description lists as {term: description}, spaces collapsed."""
    parser = _Definitions()
    parser.feed(html)
    return {" ".join(term.split()): " ".join(text.split()) for term, text in parser.pairs}


def table_rows(html: str) -> list[list[str]]:
    """The cells of a page's table body rows, as the reader sees them (spaces collapsed)."""
    parser = _TableCells()
    parser.feed(html)
    return [[" ".join(cell.split()) for cell in row] for row in parser.rows]


def link_in(text: str, path_prefix: str) -> str:
    """The path of the first link in an email body that starts with path_prefix."""
    match = re.search(rf"https?://[^\s/]+({re.escape(path_prefix)}[^\s\"<]*)", text)
    assert match, f"no link to {path_prefix} in:\n{text}"
    return match.group(1)


def field_error(page: str, name: str) -> str | None:
    """The error shown under the form field `name` (entities decoded), or None.

    The field's input must point screen readers to it: aria-invalid and aria-describedby.
    """
    found = re.findall(rf'<p class="error" id="error-{re.escape(name)}">(.*?)</p>', page, re.S)
    assert len(found) <= 1, f"{len(found)} errors for the field {name}"
    if not found:
        return None
    match = re.search(rf'<(?:input|textarea) id="field-{re.escape(name)}"[^>]*>', page)
    assert match, f"no field-{name} next to its error"
    assert 'aria-invalid="true"' in match.group(0)
    described_by = re.search(r'aria-describedby="([^"]*)"', match.group(0))
    assert described_by and f"error-{name}" in described_by.group(1).split()
    return html.unescape(found[0])


def form_error(page: str) -> str | None:
    """The error shown at the top of the form, not under one field (entities decoded), or None."""
    found = re.findall(r'<p class="form-error" role="alert"[^>]*>(.*?)</p>', page, re.S)
    assert len(found) <= 1, f"{len(found)} form-level errors on the page"
    return html.unescape(found[0]) if found else None


def flash_items(page: str) -> list[tuple[str, str]]:
    """The flash messages the page shows, as (category, text), in order."""
    return [
        (category, html.unescape(text))
        for category, text in re.findall(
            r'<p class="flash flash-([\w-]+)(?: [\w -]*)?"[^>]*>(.*?)</p>', page
        )
    ]


def flash_messages(page: str) -> list[str]:
    """The flash messages the page shows, in order (entities decoded)."""
    return [text for _, text in flash_items(page)]


def printed_siren(siren: str) -> str:
    """How pages and emails print a SIREN: three groups joined by no-break spaces."""
    return f"{siren[:3]}\u00a0{siren[3:6]}\u00a0{siren[6:]}"
