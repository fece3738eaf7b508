"""`python -m app.admin`: grant or withdraw platform administration, list administrators.

    python -m app.admin grant-admin EMAIL
    python -m app.admin revoke-admin EMAIL
    python -m app.admin list-admins

It reads the same settings as the web process (DATABASE_URL...). Administrators also need
two-factor login turned on before the administration pages open for them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from app.admin.service.admins import platform_admins, set_platform_admin
from app.clock import SystemClock
from app.db import bind_engine, close_pool, engine_for, open_pool
from app.errors import DomainError
from app.i18n import gettext
from app.piccolo_app import ALL_TABLES
from app.settings import Settings

OUTPUT_LOCALE = "en"  # the language of the command's messages


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grant = commands.add_parser("grant-admin", help="make an account a platform administrator")
    grant.add_argument("email")
    revoke = commands.add_parser("revoke-admin", help="withdraw platform administration")
    revoke.add_argument("email")
    commands.add_parser("list-admins", help="list platform administrators")
    return parser


async def run(argv: Sequence[str], settings: Settings) -> int:
    arguments = _parser().parse_args(argv)
    engine = engine_for(settings)
    bind_engine(engine, ALL_TABLES)
    await open_pool(engine, size=2)
    try:
        return await _command(arguments)
    except DomainError as error:
        print(gettext(OUTPUT_LOCALE, error.message), file=sys.stderr)
        return 1
    finally:
        await close_pool(engine)


async def _command(arguments: argparse.Namespace) -> int:
    clock = SystemClock()
    if arguments.command == "list-admins":
        for email, has_totp in await platform_admins():
            print(f"{email}\t{'2FA on' if has_totp else '2FA off: administration pages closed'}")
        return 0
    is_admin = arguments.command == "grant-admin"
    changed = await set_platform_admin(email=arguments.email, is_admin=is_admin, clock=clock)
    if not changed:
        print(f"{arguments.email}: nothing to change")
    elif is_admin:
        print(
            f"{arguments.email} is now a platform administrator; the administration pages "
            "(/admin/claims) open once two-factor login is turned on for the account"
        )
    else:
        print(f"{arguments.email} is no longer a platform administrator")
    return 0


def main() -> int:
    return asyncio.run(run(sys.argv[1:], Settings.from_env(os.environ)))


if __name__ == "__main__":
    raise SystemExit(main())
