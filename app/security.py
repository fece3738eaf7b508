"""Password hashing (argon2id) and HMAC-signed values."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# A fixed hash verified when the account does not exist, so a login costs the same either way.
_DUMMY_PASSWORD = "not-a-real-password-but-costs-the-same"  # noqa: S105


class Passwords:
    """argon2id hashing run in a thread, so the event loop keeps serving while it works."""

    def __init__(self, profile: str = "rfc9106_low_memory") -> None:
        params = {
            "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
            "cheapest": profiles.CHEAPEST,
        }[profile]
        self.hasher = PasswordHasher.from_parameters(params)
        self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; with no hash, burn the same time and say no."""
        target = password_hash or self._dummy_hash
        try:
            ok = await asyncio.to_thread(self.hasher.verify, target, password)
        except (VerificationError, InvalidHashError):
            return False
        return bool(ok) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


def sign(secret_key: str, value: str, purpose: str) -> str:
    """An HMAC-SHA256 signature of value for one purpose (hex)."""
    key = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret_key: str, value: str, purpose: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret_key, value, purpose), signature)
