"""Secret keys given to programs (API keys of staff, Open311 clients' keys): shown once, stored as
a SHA-256 digest, found by their first characters.

A key reads `<prefix>.<secret>`: the prefix (PREFIX_LENGTH hex characters, unique among its kind)
finds the one row to compare, so a lookup never scans digests; the comparison is constant-time.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

PREFIX_LENGTH = 8


@dataclass(frozen=True)
class NewKey:
    prefix: str
    raw: str  # to show once, never to store
    digest: str


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_key(prefix_taken: Callable[[str], bool]) -> NewKey:
    """A fresh key whose prefix PREFIX_TAKEN says is free."""
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if not prefix_taken(prefix):
            break
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    return NewKey(prefix, raw, digest(raw))


def prefix_of(raw_key: str) -> str | None:
    """The prefix a key sent claims, or None when it cannot be one of ours."""
    prefix = (raw_key or "").split(".", 1)[0]
    return prefix if len(prefix) == PREFIX_LENGTH else None


def matches(stored_digest: str, raw_key: str) -> bool:
    return hmac.compare_digest(stored_digest, digest(raw_key))
