"""The database itself refuses what the app would never write: raw ORM inserts, no app code.

Roles and token purposes are CHECK constraints (triggers on SQLite), required links are NOT
NULL, and every VARCHAR(n) keeps its limit on SQLite too, where the type alone enforces nothing.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import asyncpg
import pytest
from piccolo.columns import Varchar
from piccolo.table import Table

from app.accounts.rules import Role
from app.accounts.tables import AccountToken, Invitation, Membership, TokenPurpose, User
from app.piccolo_app import ALL_TABLES
from app.settings import Settings
from tests.factories import make_creditor, make_organisation, make_user

AT = datetime(2026, 1, 1, tzinfo=UTC)
DATABASE_REFUSALS = (sqlite3.IntegrityError, asyncpg.PostgresError)


def _membership(**fields: object) -> Membership:
    return Membership(**{"role": Role.MEMBER, "created_at": AT, **fields})


def _token(user_id: int, purpose: str) -> AccountToken:
    return AccountToken(
        user=user_id,
        purpose=purpose,
        token_hash=f"hash-{purpose}-{user_id}",
        expires_at=AT,
        created_at=AT,
    )


async def _refused(row: Table, *, naming: str) -> None:
    """Saving `row` fails in the database, with an error that names what was broken."""
    with pytest.raises(DATABASE_REFUSALS) as refusal:
        await row.save()
    assert naming in str(refusal.value), str(refusal.value)


async def test_a_membership_with_an_unknown_role_is_refused(settings: Settings) -> None:
    user, org = await make_user(), await make_organisation()
    await _refused(
        _membership(user=user.id, organisation=org.id, role="boss"),
        naming="membership_role_check",
    )
    assert await Membership.count() == 0


async def test_changing_a_role_to_an_unknown_one_is_refused(settings: Settings) -> None:
    user, org = await make_creditor(role=Role.ADMIN)
    with pytest.raises(DATABASE_REFUSALS, match="membership_role_check"):
        await Membership.update({Membership.role: "boss"}).where(Membership.user == user.id)
    rows = await Membership.select(Membership.role).where(Membership.organisation == org.id)
    assert rows == [{"role": "admin"}]


async def test_an_invitation_role_outside_the_three_roles_is_refused(settings: Settings) -> None:
    org = await make_organisation()
    invitation = Invitation(
        organisation=org.id,
        email="invitee@example.com",
        role="superuser",
        token_hash="invitation-hash",
        expires_at=AT,
        created_at=AT,
    )
    await _refused(invitation, naming="invitation_role_check")
    assert await Invitation.count() == 0


async def test_every_role_is_accepted(settings: Settings) -> None:
    org = await make_organisation()
    for role in Role:
        user = await make_user()
        await _membership(user=user.id, organisation=org.id, role=role).save()
    rows = await Membership.select(Membership.role).where(Membership.organisation == org.id)
    assert sorted(row["role"] for row in rows) == sorted(Role)


async def test_a_membership_without_a_user_is_refused(settings: Settings) -> None:
    org = await make_organisation()
    await _refused(_membership(user=None, organisation=org.id), naming="user")
    assert await Membership.count() == 0


async def test_an_account_token_with_an_unknown_purpose_is_refused(settings: Settings) -> None:
    user = await make_user()
    await _refused(_token(user.id, "x"), naming="account_token_purpose_check")
    for purpose in TokenPurpose:
        await _token(user.id, purpose).save()
    assert await AccountToken.count() == len(TokenPurpose)


async def test_an_over_long_email_is_refused(settings: Settings, engine_name: str) -> None:
    email = "a" * 250 + "@example.com"  # 262 characters, the column holds 254
    user = User(email=email, full_name="Claire", password_hash=None, created_at=AT)
    naming = "character varying(254)" if engine_name == "postgres" else "app_user_email_length"
    await _refused(user, naming=naming)
    assert await User.count() == 0
    await User(email="a" * 242 + "@example.com", full_name="Claire", created_at=AT).save()
    assert await User.count() == 1


def _varchar_columns() -> list[tuple[str, str, int]]:
    return [
        (table._meta.tablename, column._meta.db_column_name, column.length)
        for table in ALL_TABLES
        for column in table._meta.columns
        if isinstance(column, Varchar)
    ]


async def test_every_text_column_has_its_length_limit_in_the_database(
    settings: Settings, engine_name: str
) -> None:
    """A new or longer VARCHAR column without its migration fails here, on either engine."""
    problems = []
    if engine_name == "postgres":
        rows = await User.raw(
            "SELECT table_name, column_name, character_maximum_length AS length"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        limits = {(r["table_name"], r["column_name"]): r["length"] for r in rows}
        for table, column, length in _varchar_columns():
            if limits.get((table, column)) != length:
                problems.append(f"{table}.{column}: {limits.get((table, column))} != {length}")
    else:
        triggers = await User.raw("SELECT tbl_name, sql FROM sqlite_master WHERE type='trigger'")
        for table, column, length in _varchar_columns():
            limit = f'length(NEW."{column}") <= {length})'
            on_table = [t["sql"] for t in triggers if t["tbl_name"] == table and limit in t["sql"]]
            for event in ("INSERT", f'UPDATE OF "{column}"'):
                if not any(re.search(rf"BEFORE {event} ON", sql) for sql in on_table):
                    problems.append(f"{table}.{column}: no BEFORE {event} trigger for {length}")
    assert _varchar_columns(), "no VARCHAR column found: the table list is wrong"
    assert problems == []
