"""Compact encodings the account state is made of: stable 48-bit hashes and packed arrays.

Identifiers (users, features, tickets, invoices) are kept as 48-bit BLAKE2b hashes: stable
across processes (unlike `hash()`), exact in JSON (below 2**53) and 8 bytes in an array.
Two values of one account collide with probability n²/2**49 (about 2e-9 for 1,000 values).
"""

from __future__ import annotations

import base64
import hashlib
import operator
import sys
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain

HASH_BITS = 48


def stable_hash(text: str) -> int:
    """A 48-bit hash of `text`, the same in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "big")


def pack_array(values: array[int]) -> str:
    """An array as base64 of its little-endian bytes (compact in JSON, exact)."""
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


def unpack_array(typecode: str, text: str) -> array[int]:
    """The array `pack_array` encoded."""
    values: array[int] = array(typecode)
    values.frombytes(base64.b64decode(text.encode("ascii"), validate=True))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def day_gaps(days: Sequence[int]) -> list[int]:
    """Ascending day numbers as the first day then the gaps: `[20400, 1, 1, 3]`.

    A daily series then costs two or three characters a day in JSON.
    """
    return list(map(operator.sub, days, chain((0,), days)))


def days_from_gaps(gaps: Iterable[int]) -> list[int]:
    """The day numbers `day_gaps` encoded."""
    return list(accumulate(gaps))
