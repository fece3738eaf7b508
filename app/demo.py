"""Demo data for `make run`: a verified creditor account a newcomer can log in with."""

from __future__ import annotations

import asyncio
import os
import sys

from app.accounts.tables import Membership, Organisation, Role, User
from app.clock import Clock, SystemClock
from app.companies.rules import vat_for
from app.db import bind_engine, engine_for
from app.piccolo_app import ALL_TABLES
from app.security import Passwords
from app.settings import Settings

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-ponctuel-2026"  # noqa: S105 (printed by `make run` on purpose)
DEMO_SIREN = "732829320"


async def seed_demo(*, passwords: Passwords, clock: Clock) -> bool:
    """Create the demo creditor unless it exists; True when something was created."""
    if await User.exists().where(User.email == DEMO_EMAIL):
        return False
    now = clock.now()
    async with User._meta.db.transaction():
        user = User(
            email=DEMO_EMAIL,
            full_name="Camille Démo",
            password_hash=await passwords.hash(DEMO_PASSWORD),
            email_verified_at=now,
            locale="fr",
            created_at=now,
        )
        await user.save()
        org = await Organisation.objects().get(Organisation.siren == DEMO_SIREN)
        if org is None:
            org = Organisation(
                name="Atelier Démo SARL",
                siren=DEMO_SIREN,
                vat_number=vat_for(DEMO_SIREN),
                created_at=now,
            )
            await org.save()
        await Membership(user=user.id, organisation=org.id, role=Role.OWNER, created_at=now).save()
        await User.update({User.last_organisation_id: org.id}).where(User.id == user.id)
    return True


async def main() -> int:
    settings = Settings.from_env(os.environ)
    if settings.is_production:
        print("refusing to seed demo data in production", file=sys.stderr)
        return 1
    bind_engine(engine_for(settings), ALL_TABLES)
    created = await seed_demo(passwords=Passwords(settings.argon2_profile), clock=SystemClock())
    print("demo data created" if created else "demo data already present")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
