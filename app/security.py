"""Password hashing (argon2id), encryption of secrets at rest and keyed hashes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


class UnreadableSecret(ValueError):
    """A ciphertext that no configured key opens (wrong key id, tampered, or truncated)."""


def _subkey(key: bytes, purpose: str) -> bytes:
    """A key of its own for each use of a master key, so one use never helps attack another."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(key)


class DataKeys:
    """Encrypts secrets stored in the database (AES-256-GCM) and hashes codes with a key.

    Keys come from the settings as (key id, 32 bytes), the current one first. A ciphertext
    carries the id of the key that made it, so old keys keep decrypting after a rotation.
    """

    VERSION = "v1"

    def __init__(self, keys: tuple[tuple[str, bytes], ...]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._keys = dict(keys)
        self.current_id = keys[0][0]

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        """`v1.<key id>.<base64(nonce + ciphertext)>`; `purpose` is bound as associated data."""
        key = _subkey(self._keys[self.current_id], f"encrypt:{purpose}")
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())
        payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{self.VERSION}.{self.current_id}.{payload}"

    def decrypt(self, token: str, *, purpose: str) -> str:
        version, _, rest = token.partition(".")
        kid, _, payload = rest.partition(".")
        if version != self.VERSION or kid not in self._keys or not payload:
            raise UnreadableSecret("unknown format or key id")
        try:
            raw = base64.b64decode(
                payload + "=" * (-len(payload) % 4), altchars=b"-_", validate=True
            )
            if base64.urlsafe_b64encode(raw).decode().rstrip("=") != payload:
                raise ValueError("not the canonical encoding")  # e.g. altered padding bits
            key = _subkey(self._keys[kid], f"encrypt:{purpose}")
            plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode())
        except (InvalidTag, ValueError) as error:
            raise UnreadableSecret("the ciphertext does not open") from error
        return plaintext.decode()

    def needs_reencryption(self, token: str) -> bool:
        return not token.startswith(f"{self.VERSION}.{self.current_id}.")

    def keyed_hash(self, value: str, *, purpose: str) -> str:
        """`<key id>$<HMAC-SHA256 hex>` with the current key: a stolen table reveals nothing."""
        return self._keyed_hash(self.current_id, value, purpose)

    def keyed_hash_candidates(self, value: str, *, purpose: str) -> list[str]:
        """The keyed hash under every configured key, to find rows hashed before a rotation."""
        return [self._keyed_hash(kid, value, purpose) for kid in self._keys]

    def _keyed_hash(self, kid: str, value: str, purpose: str) -> str:
        key = _subkey(self._keys[kid], f"hash:{purpose}")
        return f"{kid}${hmac.new(key, value.encode(), hashlib.sha256).hexdigest()}"
