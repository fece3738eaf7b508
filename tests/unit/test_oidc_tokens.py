"""What makes an ID token acceptable: a key the provider publishes for signatures, an algorithm
we accept, every registered claim present and current, our client as audience, the expected
issuer. Each refusal is an OidcError("invalid_id_token"), never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.accounts.oidc import CLOCK_LEEWAY_SECONDS, OidcError, signing_keys, verified_claims

ISSUER = "https://accounts.example"
CLIENT = "ponctuel"
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
KEYS = KeySet([RSA])


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "1234",
        "aud": CLIENT,
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "nonce": "n-1",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(payload: dict[str, Any], *, key: Any = RSA, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key, algorithms=[alg])


def check(id_token: str, keys: KeySet = KEYS) -> dict[str, object]:
    return verified_claims(id_token, keys, client_id=CLIENT, issuer=ISSUER, now=NOW)


def test_a_sound_token_gives_its_claims() -> None:
    assert check(token(claims(email="claire@example.com")))["email"] == "claire@example.com"


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
def test_the_other_rsa_algorithms_providers_use_are_accepted(alg: str) -> None:
    assert check(token(claims(), alg=alg))["sub"] == "1234"


@pytest.mark.parametrize("missing", ["iss", "sub", "aud", "exp", "iat", "nonce"])
def test_a_token_without_a_registered_claim_is_refused(missing: str) -> None:
    with pytest.raises(OidcError) as refused:
        check(token(claims(**{missing: None})))
    detail = f"missing_claim: Missing claim: '{missing}'"  # logged, to tell what went wrong
    assert (refused.value.reason, refused.value.detail) == ("invalid_id_token", detail)


SEVERAL_AUDIENCES = "several audiences and azp is not this client"


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"aud": "someone-else"}, "invalid_claim: Invalid claim: 'aud'"),
        ({"aud": [CLIENT]}, None),  # a list of one audience: ours
        ({"aud": [CLIENT, "other"]}, SEVERAL_AUDIENCES),  # several audiences: azp must name us
        ({"aud": [CLIENT, "other"], "azp": CLIENT}, None),
        ({"aud": [CLIENT, "other"], "azp": "other"}, SEVERAL_AUDIENCES),
        ({"iss": "https://impostor.example"}, "unexpected issuer"),
        (
            {"exp": int((NOW - timedelta(seconds=CLOCK_LEEWAY_SECONDS + 1)).timestamp())},
            "expired_token: The token is expired",
        ),
        ({"exp": int((NOW - timedelta(seconds=CLOCK_LEEWAY_SECONDS - 5)).timestamp())}, None),
    ],
)
def test_audience_issuer_and_expiry_decide(changes: dict[str, Any], refusal: str | None) -> None:
    """`refusal` is the detail logged with a refused token; None when the token is accepted."""
    id_token = token(claims(**changes))
    if refusal is None:
        assert check(id_token)["sub"] == "1234"
    else:
        with pytest.raises(OidcError) as refused:
            check(id_token)
        assert (refused.value.reason, refused.value.detail) == ("invalid_id_token", refusal)


def test_a_token_signed_with_an_algorithm_we_do_not_accept_is_refused() -> None:
    ec = ECKey.generate_key("P-521", parameters={"kid": "ec-1"})
    with pytest.raises(OidcError) as refused:
        check(token(claims(), key=ec, alg="ES512"), KeySet([ec]))
    assert (refused.value.reason, refused.value.detail) == (
        "invalid_id_token",
        "unsupported_algorithm: Algorithm of 'ES512' is not allowed",
    )


def test_a_token_naming_an_unknown_key_asks_for_fresh_keys() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})
    with pytest.raises(InvalidKeyIdError):
        check(token(claims(), key=other))


def test_only_signature_keys_of_a_key_set_are_kept() -> None:
    encryption = RSAKey.generate_key(2048, parameters={"kid": "enc", "use": "enc"})
    unmarked = RSAKey.generate_key(2048, parameters={"kid": "plain"})
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec", "use": "sig"})
    document = {
        "keys": [
            RSA.as_dict(private=False),
            encryption.as_dict(private=False),
            unmarked.as_dict(private=False),
            ec.as_dict(private=False),
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
            "not a key",
        ]
    }
    kept = signing_keys(document)
    assert sorted(key.kid for key in kept.keys) == ["ec", "plain", "rsa-1"]


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({}, "the key set has no keys"),
        ({"keys": "none"}, "the key set has no keys"),
        ({"keys": [{"kty": "RSA", "n": "x"}]}, "the key set cannot be read"),
    ],
)
def test_an_unusable_key_set_is_a_provider_error(document: dict[str, Any], detail: str) -> None:
    with pytest.raises(OidcError) as refused:
        signing_keys(document)
    assert (refused.value.reason, refused.value.detail) == ("invalid_discovery", detail)
