"""Sliding limits kept in the shared cache: at most TRIES of something per subject (an address, a
number, an API key) in any SECONDS. Used by /track/ (public/tracking.py, whose docstring says why
slots and not counters), Open311's posts and the API's failed keys.

Slots, not counters: each try is its own cache entry living for its window (so the window slides),
taken with cache.add, which is atomic on every shared backend (locmem, db://, redis://). cache.incr
is a get-then-set on db:// that also resets the entry's timeout. Keys are HMACs (SECRET_KEY) of the
subject: the cache never holds an address or a number.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Limit:
    """At most TRIES for one subject in any SECONDS."""

    name: str
    tries: int
    seconds: int


def _slot_keys(limit: Limit, subject: str) -> list[str]:
    # The salt and prefix /track/ always used: its slots live on across the move to this module.
    digest = salted_hmac("public.tracking", f"{limit.name}:{subject}").hexdigest()[:32]
    return [f"track:{limit.name}:{digest}:{slot}" for slot in range(limit.tries)]


def take_slot(limit: Limit, subject: str) -> str | None:
    """A free place in SUBJECT's LIMIT, taken for the limit's window; None when all are taken.
    cache.add is atomic: two simultaneous tries never take the same place."""
    keys = _slot_keys(limit, subject)
    held = cache.get_many(keys)
    for key in keys:
        if key not in held and cache.add(key, 1, limit.seconds):
            return key
    return None


def has_room(limit: Limit, subject: str) -> bool:
    return len(cache.get_many(_slot_keys(limit, subject))) < limit.tries


def give_back(slots: list[str]) -> None:
    cache.delete_many(slots)
