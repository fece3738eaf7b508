"""A creditor contests the registration of their SIREN, and follows their own claims only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts.tables import AuditEvent, Organisation, SignupRequest, SirenClaim, User
from app.clock import Clock, FixedClock
from tests.conftest import make_client
from tests.factories import (
    definitions,
    field_error,
    link_in,
    log_in,
    make_creditor,
    make_user,
    post_form,
    printed_siren,
)

Client = httpx.AsyncClient
AT = datetime(2026, 1, 1, tzinfo=UTC)
OTHER_TAKEN = "130025265"  # another SIREN, for a second signup of one person
EXPLANATION = "Je suis la gérante de Dupont Menuiserie depuis 2004, RCS Lyon, siège à Villeurbanne."


async def squatted_siren() -> str:
    """A SIREN held by an organisation with a confirmed owner."""
    _, org = await make_creditor(email="squatter@claims.example")
    return str(org.siren)


async def taken_signup(email: str, siren: str) -> User:
    """A confirmed user whose signup found `siren` taken (what confirmation leaves behind)."""
    user = await make_user(email=email, full_name="Claire Dupont")
    await SignupRequest(
        email=email,
        full_name="Claire Dupont",
        organisation_name="Dupont Menuiserie",
        siren=siren,
        expires_at=AT,
        user=user.id,
        verified_at=AT,
        created_at=AT,
    ).save()
    return user


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    return clock


def claim_form(siren: str, **fields: str) -> dict[str, str]:
    return {
        "siren": siren,
        "organisation_name": "Dupont Menuiserie",
        "claimant_name": "Claire Dupont",
        "claimant_role": "Gérante",
        "explanation": EXPLANATION,
        **fields,
    }


async def test_a_user_whose_siren_is_taken_files_a_claim_and_follows_it(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    siren = await squatted_siren()
    holder = await Organisation.objects().get(Organisation.siren == siren)
    user = await taken_signup("claire@claims.example", siren)
    admin = await make_user(email="admin@claims.example")
    await User.update({User.is_platform_admin: True}).where(User.id == admin.id)
    await log_in(client, "claire@claims.example")

    taken = await client.get("/signup/siren-taken")
    assert taken.status_code == 200 and "Contester l'inscription" in taken.text
    assert printed_siren(siren) in taken.text
    form = await client.get("/claims/new")
    assert f'value="{siren}"' in form.text and 'value="Dupont Menuiserie"' in form.text
    assert 'value="Claire Dupont"' in form.text

    typed = printed_siren(siren)  # as people type it, with spaces: stored normalised
    filed = await post_form(client, "/claims", claim_form(typed))

    assert filed.status_code == 200 and re_path(filed) == "/claims/{id}"
    assert "En cours d'examen" in filed.text
    assert "Votre demande est enregistrée" in filed.text
    facts = definitions(filed.text)
    assert facts["Entreprise"] == "Dupont Menuiserie"
    assert facts["Demandeur"] == "Claire Dupont (Gérante)"
    assert "Décidée le" not in facts
    assert facts["Déposée le"] == "23 nov. 2026, 10:30:00", "the app clock, in Paris time"
    assert f'<p class="prewrap">{EXPLANATION}</p>' in filed.text
    assert f"<title>Contestation du SIREN {printed_siren(siren)} · Ponctuel</title>" in filed.text
    claim = await SirenClaim.objects().get(SirenClaim.claimant == user.id)
    assert claim is not None and holder is not None
    assert (claim.siren, claim.status, claim.held_by) == (siren, "pending", holder.id)
    assert (claim.claimant_name, claim.claimant_role, claim.explanation) == (
        "Claire Dupont",
        "Gérante",
        EXPLANATION,
    )
    event = await AuditEvent.objects().get(AuditEvent.action == "siren_claim_filed")
    assert event is not None and event.user == user.id and siren in event.target
    await run_worker()
    [notice] = outbox("admin@claims.example")
    assert notice.subject == "Nouvelle contestation de SIREN à examiner"
    assert f"Une nouvelle contestation du SIREN {printed_siren(siren)} attend votre examen :" in (
        notice.text.splitlines()
    )
    assert link_in(notice.text, "/admin/claims/") == f"/admin/claims/{claim.id}"
    assert outbox("squatter@claims.example") == [], "the holder is not alerted by a claim"

    listing = await client.get("/claims")
    assert f"/claims/{claim.id}" in listing.text
    dashboard = await client.get("/app")
    assert f"/claims/{claim.id}" in dashboard.text


def re_path(response: httpx.Response) -> str:
    path = response.url.path
    head, _, tail = path.rpartition("/")
    return f"{head}/{{id}}" if tail.isdigit() else path


async def test_a_claim_on_a_free_siren_or_on_ones_own_organisation_is_refused(
    client: Client,
) -> None:
    _, org = await make_creditor(email="member@claims.example")
    await log_in(client, "member@claims.example")

    own = await post_form(client, "/claims", claim_form(str(org.siren)))
    assert own.status_code == 422
    assert field_error(own.text, "siren") == (
        "Vous êtes déjà membre de l'entreprise qui utilise ce SIREN sur Ponctuel."
    )
    free = await post_form(client, "/claims", claim_form("404833048"))
    assert free.status_code == 422
    assert field_error(free.text, "siren") == (
        "Aucune entreprise n'utilise ce SIREN sur Ponctuel : il n'y a rien à contester."
    )
    zero = await post_form(client, "/claims", claim_form("000000000"))
    assert zero.status_code == 422 and "l'INSEE ne l'attribue" in zero.text
    short = await post_form(client, "/claims", claim_form("404833048", explanation="C'est moi."))
    assert short.status_code == 422 and "30 caractères au moins" in short.text
    assert not await SirenClaim.exists()
    assert not await AuditEvent.exists().where(AuditEvent.action == "siren_claim_filed")


async def test_one_pending_claim_per_person_and_siren(client: Client) -> None:
    siren = await squatted_siren()
    user = await taken_signup("claire@claims.example", siren)
    await log_in(client, "claire@claims.example")
    first = await post_form(client, "/claims", claim_form(siren))
    assert first.status_code == 200

    again = await post_form(client, "/claims", claim_form(siren))
    assert again.status_code == 422 and "déjà une demande en cours" in again.text
    assert await SirenClaim.count().where(SirenClaim.claimant == user.id) == 1

    await SirenClaim.update({SirenClaim.status: "rejected"}).where(SirenClaim.claimant == user.id)
    after_decision = await post_form(client, "/claims", claim_form(siren))
    assert after_decision.status_code == 200, "a decided claim does not block a new one"


async def test_a_creditor_sees_only_their_own_claims(app: Litestar, client: Client) -> None:
    siren = await squatted_siren()
    await taken_signup("claire@claims.example", siren)
    await taken_signup("paul@claims.example", siren)
    await log_in(client, "claire@claims.example")
    await post_form(client, "/claims", claim_form(siren, organisation_name="Claire SARL"))
    claire_claim = await SirenClaim.objects().get(SirenClaim.organisation_name == "Claire SARL")
    assert claire_claim is not None

    async with make_client(app) as paul:
        await log_in(paul, "paul@claims.example")
        assert (await paul.get(f"/claims/{claire_claim.id}")).status_code == 404
        listing = await paul.get("/claims")
        assert (
            "Claire SARL" not in listing.text and f"/claims/{claire_claim.id}" not in listing.text
        )
        assert "Claire SARL" not in (await paul.get("/app")).text


async def test_the_siren_taken_page_sends_a_user_without_such_a_signup_to_the_dashboard(
    client: Client,
) -> None:
    await make_creditor(email="plain@claims.example")
    await log_in(client, "plain@claims.example")

    response = await client.get("/signup/siren-taken")

    assert str(response.url).endswith("/app")


async def test_the_claim_form_starts_from_the_users_latest_taken_signup_only(
    client: Client,
) -> None:
    siren = await squatted_siren()
    user = await taken_signup("claire@latest.example", siren)
    await SignupRequest(  # a later confirmed signup of hers, for another taken SIREN
        email=user.email,
        organisation_name="Dupont Charpente",
        siren=OTHER_TAKEN,
        expires_at=AT,
        user=user.id,
        verified_at=AT,
        created_at=AT,
    ).save()
    await SignupRequest(  # hers too, but never confirmed
        email=user.email, organisation_name="Brouillon", siren=siren, expires_at=AT, created_at=AT
    ).save()
    await taken_signup("paul@latest.example", siren)  # someone else's, newer still
    await log_in(client, "claire@latest.example")

    form = await client.get("/claims/new")
    assert f'value="{OTHER_TAKEN}"' in form.text and 'value="Dupont Charpente"' in form.text
    assert "Brouillon" not in form.text


async def test_a_creditors_claims_are_listed_newest_first(client: Client) -> None:
    first, second = await squatted_siren(), OTHER_TAKEN
    _, other = await make_creditor(email="holder@claims.example")
    await Organisation.update({Organisation.siren: second}).where(Organisation.id == other.id)
    await taken_signup("claire@claims.example", first)
    await log_in(client, "claire@claims.example")
    for siren, name in ((first, "First SARL"), (second, "Second SARL")):
        filed = await post_form(client, "/claims", claim_form(siren, organisation_name=name))
        assert filed.status_code == 200, filed.text[:300]

    listing = await client.get("/claims")

    assert "First SARL" in listing.text and "Second SARL" in listing.text
    assert listing.text.index("Second SARL") < listing.text.index("First SARL")
