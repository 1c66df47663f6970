"""Webhook signing secrets: `whsec_` followed by the base64 of the HMAC key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

SECRET_PREFIX = "whsec_"
#: The key length we generate; the specification asks for between 24 and 64 bytes.
SECRET_BYTES = 32
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64

#: Returns that many random bytes; production passes `os.urandom` (or `secrets.token_bytes`).
RandomBytes = Callable[[int], bytes]


class InvalidSecret(ValueError):
    """A secret that is not `whsec_` and the base64 of a 24-64 byte key."""


def generate_secret(random_bytes: RandomBytes, length: int = SECRET_BYTES) -> str:
    if not MIN_SECRET_BYTES <= length <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"a secret's key must be {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes, not {length}"
        )
    key = random_bytes(length)
    if len(key) != length:
        # A short read would silently weaken every signature made with the secret.
        raise InvalidSecret(f"asked for {length} random bytes, got {len(key)}")
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def signing_key(secret: str) -> bytes:
    """The HMAC key a secret stands for."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"a secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise InvalidSecret(f"a secret's key is not valid base64: {error}") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(
            f"a secret's key must be {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes, not {len(key)}"
        )
    return key
