"""Every knob of the application, read once from the environment and passed in explicitly."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-key-change-me-in-production-0123456789"  # noqa: S105


class SettingsError(ValueError):
    """A setting is missing or inconsistent: the process must not start."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Configuration with a default that works on a laptop for every knob."""

    environment: str = "development"  # development | test | production
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEV_SECRET
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
    session_idle_minutes: int = 120
    session_absolute_hours: int = 12
    login_rate_limit: int = 5  # attempts per IP and per rate_limit_window_seconds
    rate_limit_window_seconds: int = 300
    argon2_profile: str = "rfc9106_low_memory"  # "cheapest" only in tests
    oidc_providers: tuple[tuple[str, str, str, str], ...] = field(default=())
    worker_heartbeat_max_age_seconds: int = 120
    debug: bool = False

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def cookies_secure(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def queue_name(self) -> str:
        return f"{self.redis_prefix}:queue"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from environment variables named after the fields in upper case."""
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name == "oidc_providers":
                values[f.name] = parse_oidc_providers(raw)
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "bool":
                values[f.name] = _bool(raw)
            else:
                values[f.name] = raw
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse configurations that would be unsafe in production."""
        if self.is_production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must be set to 32+ random characters in production")
            if not self.cookies_secure:
                raise SettingsError("BASE_URL must be https in production")
            if not self.database_url.startswith("postgres"):
                raise SettingsError("DATABASE_URL must point at PostgreSQL in production")


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
