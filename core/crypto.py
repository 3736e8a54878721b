"""AES-256-GCM encryption of secrets at rest (OAuth refresh tokens).

A stored value is ``v1.<key id>.<base64url(nonce || ciphertext || tag)>``:

- the 256-bit key is derived from ``ENCRYPTION_KEY`` with HKDF-SHA256, so any long random
  string works as a key;
- each value gets a fresh random 96-bit nonce;
- the caller passes associated data (the record id), so a ciphertext copied onto another
  record does not decrypt;
- the key id names the key that sealed the value, so ``ENCRYPTION_KEY`` can be rotated:
  retired keys listed in ``ENCRYPTION_KEYS_OLD`` still open old values until they are
  re-encrypted.

A tampered, truncated or foreign value raises :class:`DecryptionError`; it never returns data.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"
NONCE_BYTES = 12
_HKDF_INFO = b"gateway secrets at rest v1"


class DecryptionError(Exception):
    """The value was not sealed by one of our keys for this record, or was altered."""


@dataclass(frozen=True)
class Key:
    key_id: str
    aead: AESGCM


@cache
def _derive(secret: str) -> Key:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    key_id = hashlib.sha256(b"key-id" + material).hexdigest()[:12]
    return Key(key_id=key_id, aead=AESGCM(material))


def current_key() -> Key:
    return _derive(settings.ENCRYPTION_KEY)


def _keys_by_id() -> dict[str, Key]:
    keys = [current_key(), *(_derive(old) for old in settings.ENCRYPTION_KEYS_OLD if old)]
    return {key.key_id: key for key in keys}


def encrypt(plaintext: str, *, associated_data: str) -> str:
    """Seal ``plaintext`` with the current key, bound to ``associated_data``."""
    key = current_key()
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, plaintext.encode(), associated_data.encode())
    payload = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{VERSION}.{key.key_id}.{payload}"


def decrypt(value: str, *, associated_data: str) -> str:
    """Open a value made by :func:`encrypt` for the same ``associated_data``."""
    try:
        version, key_id, payload = value.split(".")
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except ValueError as exc:
        raise DecryptionError("malformed encrypted value") from exc
    if version != VERSION:
        raise DecryptionError(f"unknown format {version!r}")
    key = _keys_by_id().get(key_id)
    if key is None:
        raise DecryptionError("sealed with a key that is not configured")
    if len(raw) <= NONCE_BYTES:
        raise DecryptionError("truncated encrypted value")
    try:
        plaintext = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode())
    except InvalidTag as exc:
        raise DecryptionError("encrypted value failed authentication") from exc
    return plaintext.decode()


def is_current(value: str) -> bool:
    """Whether ``value`` is sealed with the current key (else it wants re-encryption)."""
    return value.split(".")[1:2] == [current_key().key_id]
