"""What Ponctuel takes from a provider's discovery document, and what makes it refuse one."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.oidc import OidcError, discovery_from

BASE = "https://accounts.example"
URL = f"{BASE}/.well-known/openid-configuration"


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "issuer": BASE,
        "authorization_endpoint": f"{BASE}/authorize",
        "token_endpoint": f"{BASE}/token",
        "jwks_uri": f"{BASE}/jwks",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_the_endpoints_and_the_issuer_are_kept_as_published() -> None:
    found = discovery_from(document(issuer=f"{BASE}/"), discovery_url=URL)
    assert found.issuer == f"{BASE}/", "a trailing slash is part of the issuer tokens carry"
    assert (found.authorization_endpoint, found.token_endpoint, found.jwks_uri) == (
        f"{BASE}/authorize",
        f"{BASE}/token",
        f"{BASE}/jwks",
    )


@pytest.mark.parametrize(
    ("methods", "chosen"),
    [
        (None, "client_secret_basic"),  # none listed: the standard default
        (["client_secret_basic", "client_secret_post"], "client_secret_basic"),
        (["client_secret_post"], "client_secret_post"),
        ("client_secret_basic", "client_secret_post"),  # not a list: basic is not offered
    ],
)
def test_the_token_endpoint_authentication_follows_what_is_offered(
    methods: object, chosen: str
) -> None:
    found = discovery_from(
        document(token_endpoint_auth_methods_supported=methods), discovery_url=URL
    )
    assert found.token_endpoint_auth_method == chosen


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        # the discovery URL is not the issuer's
        ({"issuer": "https://impostor.example"}, "the issuer does not match the discovery URL"),
        (
            {"token_endpoint": "http://accounts.example/token"},
            "token_endpoint is missing or not https",
        ),
        ({"jwks_uri": None}, "jwks_uri is missing or not https"),
        ({"authorization_endpoint": 42}, "authorization_endpoint is missing or not https"),
    ],
)
def test_a_document_that_cannot_be_trusted_is_refused(changes: dict[str, Any], detail: str) -> None:
    """`detail` is what the log says of the refusal."""
    with pytest.raises(OidcError) as refused:
        discovery_from(document(**changes), discovery_url=URL)
    assert (refused.value.reason, refused.value.detail) == ("invalid_discovery", detail)


def test_a_tenant_template_issuer_is_accepted_from_the_common_discovery_url() -> None:
    template = "https://login.example/{tenantid}/v2.0"
    found = discovery_from(
        document(issuer=template), discovery_url="https://login.example/common/v2.0/.well-known/x"
    )
    assert found.issuer == template


def test_only_a_trailing_slash_of_the_issuer_is_ignored_when_matching_the_discovery_url() -> None:
    realm = "https://accounts.example/realms/FIX"
    found = discovery_from(
        document(issuer=f"{realm}/"), discovery_url=f"{realm}/.well-known/openid-configuration"
    )
    assert found.issuer == f"{realm}/"
