"""What a provider's ID token claims become: the identity the login flow trusts."""

from __future__ import annotations

import pytest

from app.accounts.oidc import OidcIdentity, OidcProvider, _identity

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
