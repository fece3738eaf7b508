"""Sign up, verify, log in and out, reset and change passwords: through the real app."""

from __future__ import annotations

import secrets

import httpx
from litestar import Litestar
from redis.asyncio import Redis

from app.accounts.tables import AuditEvent, Membership, Organisation, Role, SignupRequest, User
from app.security import Passwords
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import (
    PASSWORD,
    field_error,
    link_in,
    log_in,
    make_creditor,
    make_user,
    post_form,
    printed_siren,
)

Client = httpx.AsyncClient

SIGNUP = {
    "full_name": "Claire Dupont",
    "email": "Claire@Example.com",
    "organisation_name": "Dupont Menuiserie",
    "siren": "732 829 320",
    "password": PASSWORD,
}


async def test_signup_reserves_nothing_until_the_emailed_link_creates_owner_and_company(
    client: Client, run_worker, outbox
) -> None:
    response = await post_form(client, "/signup", SIGNUP, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signup/sent"

    assert not await User.exists().where(User.email == "claire@example.com")
    assert not await Organisation.exists().where(Organisation.siren == "732829320")
    request = await SignupRequest.objects().get(SignupRequest.email == "claire@example.com")
    assert request is not None and request.siren == "732829320"

    await run_worker()
    [email] = outbox("claire@example.com")
    assert "Confirmez votre adresse" in email.subject
    assert "Dupont Menuiserie" in email.text and printed_siren("732829320") in email.text
    path = link_in(email.text, "/verify/")
    assert path.removeprefix("/verify/") not in str(request.token_hash), "only a hash is kept"

    page = await client.get(path)
    assert page.status_code == 200
    confirmed = await post_form(client, path, {})
    assert confirmed.status_code == 200 and str(confirmed.url).endswith("/app")
    assert "bienvenue sur Ponctuel" in confirmed.text and "Dupont Menuiserie" in confirmed.text
    user = await User.objects().get(User.email == "claire@example.com")
    assert user is not None and user.email_verified_at is not None
    org = await Organisation.objects().get(Organisation.siren == "732829320")
    assert org is not None and org.vat_number == "FR44732829320"
    membership = await Membership.objects().get(Membership.user == user.id)
    assert membership is not None and membership.role == Role.OWNER
    assert membership.organisation == org.id
    assert not await SignupRequest.exists().where(SignupRequest.email == "claire@example.com")

    again = await post_form(client, path, {})
    assert again.status_code == 400, "a verification link works once"


async def test_unverified_user_cannot_log_in_and_gets_a_new_link(
    client: Client, run_worker, outbox
) -> None:
    await make_user(email="late@example.com", verified=False)
    response = await post_form(
        client, "/login", {"email": "late@example.com", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert "Confirmez d'abord votre adresse" in response.text
    await run_worker()
    assert len(outbox("late@example.com")) == 1


async def test_signup_with_an_existing_email_reveals_nothing_and_warns_the_owner(
    client: Client, run_worker, outbox
) -> None:
    await make_user(email="taken@example.com")
    response = await post_form(
        client, "/signup", {**SIGNUP, "email": "taken@example.com"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/signup/sent"
    assert await User.count().where(User.email == "taken@example.com") == 1
    assert not await Organisation.exists().where(Organisation.siren == "732829320")
    assert not await SignupRequest.exists()
    await run_worker()
    [email] = outbox("taken@example.com")
    assert email.subject == "Vous avez déjà un compte Ponctuel"
    assert email.text.splitlines()[4:6] == [
        "Se connecter : http://testserver.local/login",
        "Mot de passe oublié : http://testserver.local/password/forgot",
    ]


async def test_signup_form_errors_are_clear_and_nothing_is_written(client: Client) -> None:
    bad = {**SIGNUP, "siren": "732829321", "email": "not-an-email", "password": "password1"}
    response = await post_form(client, "/signup", bad)
    assert response.status_code == 422
    assert "numéro SIREN n'est pas valide" in response.text
    assert "adresse e-mail valide" in response.text
    assert await User.count() == 0 and await Organisation.count() == 0


async def test_common_password_is_refused(client: Client) -> None:
    response = await post_form(client, "/signup", {**SIGNUP, "password": "password123"})
    assert response.status_code == 422
    assert "trop courant" in response.text
    assert await User.count() == 0


async def anonymous_session(client: Client, redis: Redis, settings: Settings) -> str:
    """A session id known before login: the visitor's cookie names a live session in the store.

    No page makes a session for an anonymous visitor, so the attacker's id is planted as one
    would be after starting some flow: a stored session and a cookie that names it.
    """
    session_id = secrets.token_hex(16)
    await redis.set(f"{settings.redis_prefix}:session:{session_id}", b'{"locale": "fr"}', ex=600)
    client.cookies.set("session", session_id, domain="testserver.local")
    assert (await client.get("/login")).status_code == 200
    return session_id


async def test_login_logout_and_session_rotation(
    client: Client, settings: Settings, redis: Redis
) -> None:
    user, org = await make_creditor(email="owner@example.com")
    before = await anonymous_session(client, redis, settings)
    assert await redis.exists(f"{settings.redis_prefix}:session:{before}")
    page = await log_in(client, "owner@example.com")
    assert org.name in page.text
    after = client.cookies.get("session")
    assert after and after != before, "login issues a new session id"
    assert not await redis.exists(f"{settings.redis_prefix}:session:{before}"), (
        "the pre-login session is gone from the store, so a planted id is worth nothing"
    )
    assert (await client.get("/app", follow_redirects=False)).status_code == 200

    events = await AuditEvent.select().where(AuditEvent.action == "login")
    assert [e["user"] for e in events] == [user.id]

    await post_form(client, "/logout", {})
    response = await client.get("/app", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/app")


async def test_a_session_id_planted_before_login_does_not_log_the_attacker_in(
    app: Litestar, client: Client, redis: Redis, settings: Settings
) -> None:
    await make_creditor(email="owner@example.com")
    planted = await anonymous_session(client, redis, settings)
    await log_in(client, "owner@example.com")
    async with make_client(app) as attacker:
        attacker.cookies.set("session", planted, domain="testserver.local")
        response = await attacker.get("/app", follow_redirects=False)
    assert response.status_code == 303, "the id known before login must not become the user's"


async def test_wrong_password_and_unknown_email_get_the_same_answer(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    wrong = await post_form(
        client, "/login", {"email": "owner@example.com", "password": "nope-nope-nope"}
    )
    unknown = await post_form(
        client, "/login", {"email": "ghost@example.com", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 422
    marker = "Adresse e-mail ou mot de passe incorrect."
    assert marker in wrong.text and marker in unknown.text
    failures = await AuditEvent.select(AuditEvent.actor_email).where(
        AuditEvent.action == "login_failed"
    )
    assert {f["actor_email"] for f in failures} == {"owner@example.com", "ghost@example.com"}


async def test_sixth_rapid_wrong_password_from_one_ip_is_rate_limited(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    statuses = []
    for _ in range(6):
        response = await post_form(
            client, "/login", {"email": "owner@example.com", "password": "wrong-password-x"}
        )
        statuses.append(response.status_code)
    assert statuses == [422] * 5 + [429]
    correct = await post_form(
        client, "/login", {"email": "owner@example.com", "password": PASSWORD}
    )
    assert correct.status_code == 429, "the limit also holds for a right password from that IP"


async def test_post_without_csrf_token_is_refused(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": "owner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert client.cookies.get("session") in (None, "null")


async def test_password_reset_flow_sets_new_password_once(
    client: Client, run_worker, outbox
) -> None:
    await make_creditor(email="owner@example.com")
    response = await post_form(client, "/password/forgot", {"email": "owner@example.com"})
    assert response.status_code == 200
    unknown = await post_form(client, "/password/forgot", {"email": "ghost@example.com"})
    assert unknown.status_code == 200
    assert response.text.replace("owner@", "X@") == unknown.text.replace("ghost@", "X@")

    await run_worker()
    [email] = outbox("owner@example.com")
    assert outbox("ghost@example.com") == []
    path = link_in(email.text, "/password/reset/")
    assert (await client.get(path)).status_code == 200

    new_password = "a brand new passphrase"
    mismatch = await post_form(client, path, {"password": new_password, "password_confirm": "x"})
    assert mismatch.status_code == 422
    done = await post_form(
        client, path, {"password": new_password, "password_confirm": new_password}
    )
    assert done.status_code == 200 and "Votre mot de passe a été modifié" in done.text
    reused = await post_form(
        client, path, {"password": new_password, "password_confirm": new_password}
    )
    assert reused.status_code == 422

    await log_in(client, "owner@example.com", new_password)
    assert (await client.get("/app", follow_redirects=False)).status_code == 200


async def test_changing_password_ends_other_sessions(app: Litestar, client: Client) -> None:
    await make_creditor(email="owner@example.com")
    async with make_client(app) as other:
        await log_in(other, "owner@example.com")
        await log_in(client, "owner@example.com")
        new_password = "another long passphrase"
        response = await post_form(
            client,
            "/account/password",
            {
                "current_password": PASSWORD,
                "password": new_password,
                "password_confirm": new_password,
            },
        )
        assert response.status_code == 200 and "Votre mot de passe a été modifié" in response.text
        assert (await client.get("/app", follow_redirects=False)).status_code == 200
        assert (await other.get("/app", follow_redirects=False)).status_code == 303
    assert await AuditEvent.exists().where(AuditEvent.action == "password_changed")


async def test_wrong_current_password_does_not_change_it(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    response = await post_form(
        client,
        "/account/password",
        {"current_password": "wrong", "password": "x" * 12, "password_confirm": "x" * 12},
    )
    assert response.status_code == 422
    assert field_error(response.text, "current_password") == "Le mot de passe actuel est incorrect."


async def test_open_redirect_after_login_is_refused(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    response = await post_form(
        client,
        "/login",
        {"email": "owner@example.com", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/app"


async def test_logout_ends_the_session_on_the_server(app: Litestar, client: Client) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    stolen = client.cookies.get("session")
    await post_form(client, "/logout", {})
    async with make_client(app) as attacker:
        attacker.cookies.set("session", stolen, domain="testserver.local")
        response = await attacker.get("/app", follow_redirects=False)
    assert response.status_code == 303, "a copied session id must die with the logout"


async def test_a_login_rehashes_a_password_stored_with_other_parameters_only(
    client: Client,
) -> None:
    current = await make_user(email="current@example.com")
    older = await make_user(email="older@example.com")
    stronger = Passwords("rfc9106_low_memory")  # other parameters than this app's
    await User.update({User.password_hash: await stronger.hash(PASSWORD)}).where(
        User.id == older.id
    )

    for email in ("current@example.com", "older@example.com"):
        await log_in(client, email)
        await post_form(client, "/logout", {})

    kept = await User.objects().get(User.id == current.id)
    upgraded = await User.objects().get(User.id == older.id)
    assert kept is not None and kept.password_hash == current.password_hash
    assert upgraded is not None and upgraded.password_hash is not None
    ours = Passwords("cheapest")  # the parameters the test app runs with
    assert not ours.needs_rehash(upgraded.password_hash) and stronger.needs_rehash(
        upgraded.password_hash
    )
    assert await ours.verify(upgraded.password_hash, PASSWORD)
