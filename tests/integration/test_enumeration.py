"""No account enumeration through timing: a known and an unknown address take the same time.

Wall-clock comparisons are flaky on a shared machine, so these tests check the cause of
equal timing instead: a wrong password and an unknown email both run exactly one argon2
verification, against hashes of the same cost.
"""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.accounts.service.auth import authenticate
from app.accounts.tables import User
from app.clock import SystemClock
from app.security import Passwords
from tests.factories import make_creditor


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that also records the hashes it verified."""

    def __init__(self) -> None:
        params = RFC_9106_LOW_MEMORY
        super().__init__(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
            hash_len=params.hash_len,
            salt_len=params.salt_len,
            type=params.type,
        )
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


async def test_wrong_password_and_unknown_email_cost_one_equal_verification(db) -> None:
    counting = CountingHasher()
    passwords = Passwords("rfc9106_low_memory")
    passwords.hasher = counting
    user, _ = await make_creditor(email="owner@example.com")
    real_hash = counting.hash("the real password")
    await User.update({User.password_hash: real_hash}).where(User.id == user.id)
    clock = SystemClock()

    assert (
        await authenticate(
            email="owner@example.com", password="wrong", passwords=passwords, clock=clock
        )
        is None
    )
    assert (
        await authenticate(
            email="ghost@example.com", password="wrong", passwords=passwords, clock=clock
        )
        is None
    )

    known, unknown = counting.verified
    assert known == real_hash
    assert unknown != real_hash
    assert extract_parameters(unknown) == extract_parameters(known)
