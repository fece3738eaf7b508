"""Settings from the environment, money in cents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import from_cents, mollie_amount, to_cents
from app.settings import Settings, SettingsError


def test_defaults_work_on_a_laptop() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "" and settings.environment == "development"
    assert not settings.cookies_secure


def test_environment_variables_override_defaults_with_types() -> None:
    settings = Settings.from_env(
        {"SMTP_PORT": "2525", "TRUST_FLY_CLIENT_IP": "true", "BASE_URL": "https://x.example.com"}
    )
    assert settings.smtp_port == 2525 and settings.trust_fly_client_ip is True
    assert settings.cookies_secure


def test_oidc_providers_are_parsed() -> None:
    settings = Settings.from_env({"OIDC_PROVIDERS": "google||id|secret;corp|https://c/x|a|b"})
    assert settings.oidc_providers == (
        ("google", "", "id", "secret"),
        ("corp", "https://c/x", "a", "b"),
    )
    with pytest.raises(SettingsError):
        Settings.from_env({"OIDC_PROVIDERS": "broken"})


@pytest.mark.parametrize(
    "env",
    [
        {
            "ENVIRONMENT": "production",
            "BASE_URL": "https://p.fr",
            "DATABASE_URL": "postgres://h/db",
        },
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "k" * 40,
            "BASE_URL": "http://p.fr",
            "DATABASE_URL": "postgres://h/db",
        },
        {"ENVIRONMENT": "production", "SECRET_KEY": "k" * 40, "BASE_URL": "https://p.fr"},
    ],
)
def test_production_refuses_unsafe_configuration(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("amount", "cents"), [("12.50", 1250), ("0.005", 1), ("0.004", 0), ("1234.567", 123457)]
)
def test_euros_round_half_up_to_cents(amount: str, cents: int) -> None:
    assert to_cents(Decimal(amount)) == cents


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_round_trip_through_decimal(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


def test_mollie_amount_has_two_decimals() -> None:
    assert mollie_amount(1250) == {"currency": "EUR", "value": "12.50"}
    assert mollie_amount(7) == {"currency": "EUR", "value": "0.07"}
