"""Every knob of the application, read once from the environment and passed in explicitly."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from stdnum.fr import siren as stdnum_siren

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105
ENVIRONMENTS = ("development", "test", "production")
LOCALES = ("fr", "en")  # the languages of the UI; French is the source language
ENCRYPTION_KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class SettingsError(ValueError):
    """A setting is missing or inconsistent: the process must not start."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false)")


@dataclass(frozen=True)
class Settings:
    """Configuration with a default that works on a laptop for every knob."""

    environment: str = "development"  # development | test | production
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"  # where the web process listens
    port: int = 8000
    secret_key: str = DEV_SECRET
    # (key id, base64 of 32 random bytes); the first one encrypts, all of them decrypt.
    encryption_keys: tuple[tuple[str, str], ...] = field(default=())
    database_url: str = ""  # empty: embedded SQLite at sqlite_path
    sqlite_path: str = str(ROOT / "var" / "ponctuel.sqlite3")
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "ponctuel"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_use_tls: bool = False
    mail_from: str = "Ponctuel <no-reply@ponctuel.localhost>"
    outbox_dir: str = str(ROOT / "var" / "outbox")
    default_locale: str = "fr"
    trust_fly_client_ip: bool = False
    forwarded_allow_ips: str = ""  # a proxy whose X-Forwarded-For uvicorn may trust; empty: none
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    login_rate_limit: int = 5  # attempts per IP and per rate_limit_window_seconds
    rate_limit_window_seconds: int = 300
    oidc_rate_limit: int = 30  # provider logins started, and answered, per IP and window
    # Second-factor codes, and current passwords, tried per account in each lockout window.
    account_attempt_limit: int = 5
    account_lockout_minutes: int = 30
    emails_per_address_per_hour: int = 5
    api_requests_per_minute: int = 120  # anonymous JSON API calls per client address
    # A public page just served is served again this long without a database check (0: off).
    page_fresh_ms: int = 2000
    demo_companies: int = 3000  # fictitious companies `make run` seeds (app/demo.py)
    argon2_profile: str = "rfc9106_low_memory"  # "cheapest" only in tests
    oidc_providers: tuple[tuple[str, str, str, str], ...] = field(default=())
    worker_heartbeat_max_age_seconds: int = 120
    debug: bool = False
    # Who operates the platform, printed in the legal notices, the privacy policy and on the
    # contact page. The defaults describe an example company; production refuses them.
    operator_name: str = "Ponctuel SAS"
    operator_legal_form: str = "société par actions simplifiée"
    operator_share_capital: str = "10 000 €"
    operator_siren: str = "123456782"
    operator_rcs_city: str = "Paris"
    operator_address: str = "10 rue de l'Exemple, 75011 Paris"
    operator_email: str = "contact@ponctuel.localhost"
    operator_phone: str = "01 23 45 67 89"
    publication_director: str = "Camille Martin, présidente"
    privacy_email: str = "dpo@ponctuel.localhost"  # the data protection officer, or contact
    host_name: str = "Fly.io, Inc."
    host_address: str = "321 N Clark St, Suite 2550, Chicago, IL 60654, États-Unis"
    host_website: str = "https://fly.io"
    # The price: a creditor spends tokens per processed invoice and gets some free at signup.
    signup_free_tokens: int = 20
    tokens_per_invoice: int = 1
    token_pack_size: int = 100
    token_pack_price_cents: int = 4900  # excluding VAT

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def operator_is_example(self) -> bool:
        """True while any of the operator's details still has its example default."""
        return any(getattr(self, name) == _DEFAULTS[name] for name in OPERATOR_DETAILS)

    @property
    def cookies_secure(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def cookie_name(self, name: str) -> str:
        """`name` with the `__Host-` prefix over https: the browser then keeps the cookie only
        if it is Secure, for this host alone and for every path."""
        return f"__Host-{name}" if self.cookies_secure else name

    @property
    def queue_name(self) -> str:
        return f"{self.redis_prefix}:queue"

    @property
    def data_keys(self) -> tuple[tuple[str, bytes], ...]:
        """The encryption keys as bytes; outside production a key derived from SECRET_KEY."""
        if self.encryption_keys:
            return tuple((kid, _decode_key(kid, raw)) for kid, raw in self.encryption_keys)
        return (("dev", hashlib.sha256(f"data-key:{self.secret_key}".encode()).digest()),)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Checked settings from environment variables named after the fields in upper case."""
        hints = typing.get_type_hints(cls)
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            parse = _PARSERS.get(f.name) or _parser_for(hints[f.name])
            try:
                values[f.name] = parse(raw)
            except ValueError as error:
                raise SettingsError(f"{f.name.upper()}: {error}") from error
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse inconsistent configurations, and those that would be unsafe in production."""
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}")
        if self.default_locale not in LOCALES:
            raise SettingsError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        self.data_keys  # noqa: B018 (decoding checks every key)
        _check_positive(self)
        if not stdnum_siren.is_valid(self.operator_siren):
            raise SettingsError("OPERATOR_SIREN must be a valid SIREN (9 digits)")
        if len({kid for kid, _ in self.encryption_keys}) != len(self.encryption_keys):
            raise SettingsError("ENCRYPTION_KEYS: each key id must be unique")
        if self.is_production:
            self._check_production()

    def _check_production(self) -> None:
        if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
            raise SettingsError("SECRET_KEY must be set to 32+ random characters in production")
        if not self.encryption_keys:
            raise SettingsError("ENCRYPTION_KEYS must be set in production")
        if not self.cookies_secure:
            raise SettingsError("BASE_URL must be https in production")
        if not self.database_url.startswith("postgres"):
            raise SettingsError("DATABASE_URL must point at PostgreSQL in production")
        if self.debug:
            raise SettingsError("DEBUG must be off in production: it shows tracebacks")
        if self.argon2_profile != "rfc9106_low_memory":
            raise SettingsError("ARGON2_PROFILE must keep its default in production")
        example = [
            name.upper() for name in OPERATOR_DETAILS if getattr(self, name) == _DEFAULTS[name]
        ]
        if example:
            raise SettingsError(
                f"{', '.join(example)} must describe the operator in production (legal notices)"
            )


def _check_positive(settings: Settings) -> None:
    for name in _POSITIVE:
        if getattr(settings, name) < 1:
            raise SettingsError(f"{name.upper()} must be at least 1")


def _decode_key(kid: str, raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as error:
        raise SettingsError(f"ENCRYPTION_KEYS: key {kid!r} is not base64") from error
    if len(key) != ENCRYPTION_KEY_BYTES:
        raise SettingsError(f"ENCRYPTION_KEYS: key {kid!r} must be 32 bytes")
    return key


def _parser_for(hint: object) -> Callable[[str], object]:
    """How to read one typed field from its environment string (`int | None` reads an int)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(inner) == 1:
            return _parser_for(inner[0])
    if hint is bool:
        return _bool
    if hint is int:
        return int
    if hint is str:
        return str
    raise TypeError(f"no parser for settings of type {hint!r}")


def parse_oidc_providers(raw: str) -> tuple[tuple[str, str, str, str], ...]:
    """Parse `name|discovery_url|client_id|client_secret` entries separated by `;`."""
    providers = []
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        parts = [p.strip() for p in entry.split("|")]
        if len(parts) != 4 or not parts[0] or not parts[2]:
            raise SettingsError(
                "OIDC_PROVIDERS entries are name|discovery_url|client_id|client_secret"
            )
        providers.append((parts[0], parts[1], parts[2], parts[3]))
    return tuple(providers)


def parse_encryption_keys(raw: str) -> tuple[tuple[str, str], ...]:
    """Parse `key_id:base64key` entries separated by `;`, the current key first."""
    keys = []
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        kid, sep, key = (part.strip() for part in entry.partition(":"))
        if not sep or not key or not _KEY_ID.fullmatch(kid):
            raise SettingsError("ENCRYPTION_KEYS entries are id:base64key, ids of A-Z a-z 0-9 _ -")
        keys.append((kid, key))
    return tuple(keys)


# Limits and windows: zero would turn a limit off or divide time into empty windows.
_POSITIVE = (
    "login_rate_limit",
    "rate_limit_window_seconds",
    "account_attempt_limit",
    "account_lockout_minutes",
    "emails_per_address_per_hour",
    "api_requests_per_minute",
    "tokens_per_invoice",
    "token_pack_size",
    "token_pack_price_cents",
)

# The operator's own details: the legal notices must not go live with the example company.
OPERATOR_DETAILS = (
    "operator_name",
    "operator_siren",
    "operator_address",
    "operator_email",
    "operator_phone",
    "publication_director",
    "privacy_email",
)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}

_PARSERS: dict[str, Callable[[str], object]] = {
    "oidc_providers": parse_oidc_providers,
    "encryption_keys": parse_encryption_keys,
}
