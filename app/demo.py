"""Demo data for `make run`: a verified creditor account a newcomer can log in with, and a
registry of fictitious companies with payment outcomes and scores (app/dev/demo_companies.py)."""

from __future__ import annotations

import asyncio
import os
import sys

from app.accounts.service.signup import create_owner_account
from app.accounts.tables import User
from app.clock import Clock, SystemClock
from app.companies.rules import CompanySource
from app.companies.tables import Company
from app.db import bind_engine, engine_for
from app.dev.demo_companies import seed_companies
from app.piccolo_app import ALL_TABLES
from app.security import Passwords
from app.settings import Settings

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-ponctuel-2026"  # noqa: S105 (printed by `make run` on purpose)
DEMO_SIREN = "732829320"
DEMO_COMPANIES = 3000


async def seed_demo(*, passwords: Passwords, clock: Clock, companies: int = DEMO_COMPANIES) -> bool:
    """Create the demo creditor and `companies` demo companies unless they exist; True when
    something was created."""
    created_account = await _seed_account(passwords=passwords, clock=clock)
    if await Company.exists().where(Company.source == CompanySource.DEMO):
        return created_account
    await seed_companies(count=companies, clock=clock)
    return True


async def _seed_account(*, passwords: Passwords, clock: Clock) -> bool:
    if await User.exists().where(User.email == DEMO_EMAIL):
        return False
    now = clock.now()
    async with User._meta.db.transaction():
        await create_owner_account(
            email=DEMO_EMAIL,
            full_name="Camille Démo",
            password_hash=await passwords.hash(DEMO_PASSWORD),
            email_verified_at=now,
            locale="fr",
            organisation_name="Atelier Démo SARL",
            siren=DEMO_SIREN,
            now=now,
        )
    return True


async def main() -> int:
    settings = Settings.from_env(os.environ)
    if settings.is_production:
        print("refusing to seed demo data in production", file=sys.stderr)
        return 1
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    created = await seed_demo(
        passwords=Passwords(settings.argon2_profile),
        clock=SystemClock(),
        companies=settings.demo_companies,
    )
    print("demo data created" if created else "demo data already present")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
