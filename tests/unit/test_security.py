"""Secrets at rest: encryption with rotating keys, keyed hashes, and what tampering does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.security import DataKeys, UnreadableSecret

OLD = ("k2025", bytes(range(32)))
NEW = ("k2026", bytes(range(1, 33)))


def test_a_secret_comes_back_from_its_ciphertext_which_does_not_show_it() -> None:
    keys = DataKeys((NEW,))
    token = keys.encrypt("JBSWY3DPEHPK3PXP", purpose="totp-secret")
    assert "JBSWY3DPEHPK3PXP" not in token and token.startswith("v1.k2026.")
    assert keys.decrypt(token, purpose="totp-secret") == "JBSWY3DPEHPK3PXP"


def test_the_same_secret_encrypts_differently_each_time() -> None:
    keys = DataKeys((NEW,))
    assert keys.encrypt("seed", purpose="p") != keys.encrypt("seed", purpose="p")


def test_after_a_rotation_old_ciphertexts_still_open_and_new_ones_use_the_new_key() -> None:
    before = DataKeys((OLD,))
    stored = before.encrypt("seed", purpose="totp-secret")
    after = DataKeys((NEW, OLD))
    assert after.decrypt(stored, purpose="totp-secret") == "seed"
    assert after.needs_reencryption(stored)
    fresh = after.encrypt("seed", purpose="totp-secret")
    assert fresh.startswith("v1.k2026.") and not after.needs_reencryption(fresh)


def test_a_retired_key_no_longer_opens_anything() -> None:
    stored = DataKeys((OLD,)).encrypt("seed", purpose="p")
    with pytest.raises(UnreadableSecret):
        DataKeys((NEW,)).decrypt(stored, purpose="p")


def test_a_ciphertext_made_for_one_purpose_does_not_open_for_another() -> None:
    keys = DataKeys((NEW,))
    with pytest.raises(UnreadableSecret):
        keys.decrypt(keys.encrypt("seed", purpose="totp-secret"), purpose="oidc-pending")


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=255))
def test_any_change_to_a_ciphertext_is_detected(position: int, flip: int) -> None:
    keys = DataKeys((NEW,))
    token = keys.encrypt("seed", purpose="p")
    prefix, payload = token.rsplit(".", 1)
    raw = bytearray(payload.encode())
    index = position % len(raw)
    raw[index] = (raw[index] ^ flip) % 128 or 65
    tampered = f"{prefix}.{raw.decode(errors='replace')}"
    if tampered == token:
        return
    with pytest.raises(UnreadableSecret):
        keys.decrypt(tampered, purpose="p")


@pytest.mark.parametrize("token", ["", "v1", "v1.k2026.", "v2.k2026.abcd", "plain-seed"])
def test_malformed_ciphertexts_are_refused_not_crashed_on(token: str) -> None:
    with pytest.raises(UnreadableSecret):
        DataKeys((NEW,)).decrypt(token, purpose="p")


def test_keyed_hashes_depend_on_the_key_and_find_codes_hashed_before_a_rotation() -> None:
    before = DataKeys((OLD,)).keyed_hash("abcde-fghij", purpose="recovery-code")
    after = DataKeys((NEW, OLD))
    assert after.keyed_hash("abcde-fghij", purpose="recovery-code") != before
    assert before in after.keyed_hash_candidates("abcde-fghij", purpose="recovery-code")
    assert before not in DataKeys((NEW,)).keyed_hash_candidates(
        "abcde-fghij", purpose="recovery-code"
    )
