"""What a provider's ID token claims become, and the sealed cookie a pending login travels in."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.oidc import OidcError, OidcIdentity, OidcProvider, _identity, _read_pending
from app.accounts.service.oidc import (
    PENDING_LOGIN_PURPOSE,
    Intent,
    PendingProviderLogin,
    PendingSignup,
    ProviderLink,
    open_pending_login,
    seal_pending_login,
)
from app.security import DataKeys

PROVIDER = OidcProvider("google", "Google", "https://accounts.example/.well-known", "id", "s")
ISSUER = {"iss": "https://accounts.example", "sub": "1234"}


def test_claims_become_an_identity_with_a_normalised_address_and_name() -> None:
    claims = {**ISSUER, "email": " Claire@Example.COM ", "email_verified": True, "name": " C D "}
    assert _identity(PROVIDER, claims) == OidcIdentity(
        provider="google",
        issuer="https://accounts.example",
        subject="1234",
        email="claire@example.com",
        email_verified=True,
        name="C D",
    )


@pytest.mark.parametrize(
    ("verified", "trusted"),
    [
        (True, True),
        ("true", True),
        (False, False),
        ("false", False),
        ("TRUE", False),
        (None, False),
    ],
)
def test_only_a_true_email_verified_claim_vouches_for_the_address(
    verified: object, trusted: bool
) -> None:
    """Some providers send the boolean as the string "true"; anything else is not a yes."""
    claims = {**ISSUER, "email": "claire@example.com", "email_verified": verified}
    assert _identity(PROVIDER, claims).email_verified is trusted


def test_missing_or_malformed_claims_become_empty_values() -> None:
    identity = _identity(PROVIDER, {**ISSUER, "email": ["not", "a", "string"], "name": 42})
    assert (identity.email, identity.email_verified, identity.name) == ("", False, "")
    assert _identity(PROVIDER, ISSUER).email == ""


# --- the pending login's sealed cookie ------------------------------------------------------

KEYS = DataKeys((("k2026", bytes(range(1, 33))),))
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PENDING = PendingProviderLogin(
    provider="google",
    state="s",
    nonce="n",
    code_verifier="v",
    redirect_uri="https://ponctuel.example/auth/google/callback",
    next_url="/app",
    intent=Intent.LOGIN,
    user_id=0,
    started_at=NOW.isoformat(),
)


def test_a_sealed_pending_login_opens_until_its_lifetime_is_over() -> None:
    sealed = seal_pending_login(PENDING, keys=KEYS)
    assert open_pending_login(sealed, keys=KEYS, now=NOW) == PENDING
    assert open_pending_login(sealed, keys=KEYS, now=NOW + timedelta(minutes=10)) == PENDING
    late = NOW + timedelta(minutes=10, microseconds=1)
    assert open_pending_login(sealed, keys=KEYS, now=late) is None


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": "0"},  # every field keeps its type
        {"state": 1},
        {"started_at": None},
        {"intent": "steal"},
        {"started_at": "2026-11-23T09:30:00"},  # an instant without its zone
        {"started_at": "yesterday"},
    ],
)
def test_a_pending_login_with_a_field_of_the_wrong_kind_is_refused(
    change: dict[str, object],
) -> None:
    payload = {**asdict(PENDING), **change}
    sealed = KEYS.encrypt(json.dumps(payload), purpose=PENDING_LOGIN_PURPOSE)
    assert open_pending_login(sealed, keys=KEYS, now=NOW) is None


def test_a_pending_login_sealed_for_another_purpose_or_not_an_object_is_refused() -> None:
    for sealed in (
        KEYS.encrypt(json.dumps(asdict(PENDING)), purpose="flash"),
        KEYS.encrypt("[1, 2]", purpose=PENDING_LOGIN_PURPOSE),
        KEYS.encrypt("{not json", purpose=PENDING_LOGIN_PURPOSE),
        "",
    ):
        assert open_pending_login(sealed, keys=KEYS, now=NOW) is None


@pytest.mark.parametrize("empty", ["state", "nonce", "code_verifier", "redirect_uri"])
def test_a_pending_login_missing_any_value_is_no_pending_login(empty: str) -> None:
    pending = {
        "provider": "google",
        "state": "s",
        "nonce": "n",
        "code_verifier": "v",
        "redirect_uri": "https://ponctuel.example/auth/google/callback",
        empty: "",
    }
    with pytest.raises(OidcError) as refused:
        _read_pending(pending, PROVIDER)
    assert (refused.value.reason, refused.value.detail) == (
        "no_pending_login",
        "the pending login is incomplete",
    )


SIGNUP = PendingSignup(
    provider="google",
    issuer="https://accounts.example",
    subject="1234",
    email="claire@example.com",
    name="Claire Dupont",
    next_url="",
    started_at=NOW.isoformat(),
)
LINK = ProviderLink(
    user_id=7,
    provider="google",
    issuer="https://accounts.example",
    subject="1234",
    email="",
    next_url="",
    started_at=NOW.isoformat(),
)


@pytest.mark.parametrize("empty", [None, "provider", "issuer", "subject", "email"])
def test_a_pending_signup_needs_its_identity_and_address(empty: str | None) -> None:
    stored = {**SIGNUP.to_session(), **({empty: ""} if empty else {})}
    found = PendingSignup.from_session(stored, now=NOW)
    assert found == (None if empty else SIGNUP)


@pytest.mark.parametrize("empty", [None, "provider", "issuer", "subject"])
def test_a_pending_link_needs_its_identity(empty: str | None) -> None:
    stored = {**LINK.to_session(), **({empty: ""} if empty else {})}
    found = ProviderLink.from_session(stored, now=NOW)
    assert found == (None if empty else LINK)


def test_a_pending_link_needs_its_account_id_as_a_number() -> None:
    assert ProviderLink.from_session({**LINK.to_session(), "user_id": "7"}, now=NOW) is None
