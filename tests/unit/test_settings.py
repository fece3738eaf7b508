"""Settings from the environment: typed values, and what production refuses."""

from __future__ import annotations

import base64
import dataclasses
import typing

import pytest

from app.settings import OPERATOR_DETAILS, Settings, SettingsError, _parser_for
from tests.factories import OPERATOR

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "k" * 40,
    "ENCRYPTION_KEYS": f"k2026:{KEY}",
    "BASE_URL": "https://p.fr",
    "DATABASE_URL": "postgres://h/db",
    **{name.upper(): value for name, value in OPERATOR.items()},
}


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


def test_a_production_configuration_with_every_secret_is_accepted() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.is_production and settings.data_keys == (("k2026", bytes(range(32))),)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "true"),
        ("ENCRYPTION_KEYS", ""),
        ("SECRET_KEY", "short"),
        ("ARGON2_PROFILE", "cheapest"),
        *((name.upper(), "") for name in OPERATOR_DETAILS),
    ],
)
def test_production_refuses_each_unsafe_setting(name: str, value: str) -> None:
    env = {**PRODUCTION, name: value}
    if not value:
        del env[name]
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_every_field_reads_its_own_type_from_the_environment() -> None:
    """A field annotated `int` or `bool` gets an int or a bool, not the string it was given."""
    hints = typing.get_type_hints(Settings)
    samples = {int: ("42", 42), bool: ("false", False), str: ("x", "x")}
    for f in dataclasses.fields(Settings):
        if hints[f.name] in samples:
            raw, expected = samples[hints[f.name]]
            assert _parser_for(hints[f.name])(raw) == expected, f.name


def test_an_optional_int_reads_as_an_int() -> None:
    assert _parser_for(int | None)("7") == 7


@pytest.mark.parametrize(
    "env",
    [
        {"SMTP_PORT": "twenty-five"},
        {"SMTP_USE_TLS": "maybe"},
        {"ENVIRONMENT": "prod"},
        {"DEFAULT_LOCALE": "de"},
        {"ENCRYPTION_KEYS": "k1:not-base64!"},
        {"ENCRYPTION_KEYS": f"k1:{KEY[:10]}"},
        {"ENCRYPTION_KEYS": f"k1:{KEY};k1:{KEY}"},
    ],
)
def test_malformed_values_stop_the_process_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "name",
    [
        "LOGIN_RATE_LIMIT",
        "RATE_LIMIT_WINDOW_SECONDS",
        "ACCOUNT_ATTEMPT_LIMIT",
        "ACCOUNT_LOCKOUT_MINUTES",
        "EMAILS_PER_ADDRESS_PER_HOUR",
    ],
)
def test_a_limit_or_window_of_zero_stops_the_process(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "0"})


def test_the_legal_notices_name_the_example_operator_only_outside_production() -> None:
    assert Settings.from_env({}).operator_is_example
    production = Settings.from_env(PRODUCTION)
    assert not production.operator_is_example
    assert production.operator_name == "Relances Rapides SAS"


def test_an_impossible_operator_siren_is_refused() -> None:
    with pytest.raises(SettingsError, match="OPERATOR_SIREN"):
        Settings.from_env({"OPERATOR_SIREN": "123456789"})
