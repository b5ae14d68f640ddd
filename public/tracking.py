"""A resident follows their own case: its tracking number and either the last four digits of their
phone or the 8-character track code on their slip (Case.track_code, cases/numbering.py).

Four digits are 10,000 possibilities; an outside audit found them from 247 addresses in 1,235
tries when only each address was limited. So wrong answers are limited per address AND per
tracking number, across all addresses:

- The four digits are checked only while the address has made fewer than ADDRESS.tries (5) wrong
  tries in the last 15 minutes (past that: see PAIR below) and the number has had fewer than NUMBER.tries (10) wrong
  four-digit answers in the last 30 days, from all addresses together. However many addresses an
  attacker has, one number gets at most 10 guesses every 30 days: finding its four digits takes
  5,000 guesses on average (half of 10,000), i.e. 500 × 30 = 15,000 days (about 41 years); the
  chance within a year is at most 130/10,000 (1.3 %), within the three months a case is typically
  open 0.4 %.
- The track code (31 ** 8 ≈ 8.5 × 10 ** 11 codes) needs no lock of the number: it is checked even
  while the number's four-digit route is locked, and that is how a resident still follows a
  locked number (the page says so, with the town's phone for those without a slip). Only a
  ceiling per address (CODE_ADDRESS: 20 wrong codes in 15 minutes) keeps out floods; a thousand
  addresses at that ceiling need on average 8.5 × 10 ** 11 / 2 / 1.92 × 10 ** 6 a day ≈ 220,000
  days to find one given code.
- Wrong answers are limited, right ones never: each try takes a place (slot) in its limits before
  its answer is checked, and a right answer gives its places back. An address that has made no
  wrong tries is never blocked, and a resident's right answers never count against anyone.

- Someone else's guessing does not block a resident at the same address (a village's wifi, a
  carrier's shared address): an address past its limit still gets one try (PAIR) at each number
  it has not answered wrongly in the window — the resident's own number, typically — counted
  against that number like any other. A guesser gains nothing by it: their next try at a number
  they already missed is refused, and every number's own limit holds whatever the address.

Trade-offs, chosen on purpose:
- A right four-digit answer for a locked number, or from an address at a number it has already
  answered wrongly in the window, is refused like any other try there: answering it (a page rather
  than a refusal) would let whoever caused the lock go on testing answers. The resident then uses
  the code on the slip at once, or waits.
- Anyone can lock a number's four-digit route with 10 wrong tries (numbers are on the boards):
  the price of a limit per number. The code and the town's phone still work, and the page says so.
  A limit on the whole town's wrong answers would stop the untargeted guesser too, but would lock
  every resident out at once: not taken. Untargeted guessing (a few tries at each of many
  numbers) is bounded by the limit per number: C cases give 10 × C guesses a month, about C / 1,000
  cases found a month (one every seven months among the demo's 142), and what /track/ shows a
  finder is what the resident sees: the masked name, the status and the public history.
- The answers do not tell a number that does not exist from a wrong answer, locks included:
  limits are keyed by the number as typed (normalised), existing or not.

Slots, not counters: each wrong answer is its own cache entry living for its window (so the
window slides), taken with cache.add, which is atomic on every shared backend (locmem, db://,
redis://). cache.incr is a get-then-set on db:// that also resets the entry's timeout, and
checking a counter before recording a failure would let 247 simultaneous tries all pass. Keys are
HMACs (SECRET_KEY) of the address and the number: the cache holds neither. An IPv6 address counts
by its /64 (sanhe/lib/clientip.py address_key), the block one subscriber holds.
"""

import hmac
import re
import unicodedata
from dataclasses import dataclass

from cases.models import Case
from cases.numbering import TRACK_CODE_ALPHABET, TRACK_CODE_LENGTH
from sanhe.lib.clientip import address_key
from sanhe.lib.clientip import client_ip as client_ip  # the /track/ view reads it from here
from sanhe.lib.slots import Limit, give_back, has_room, take_slot

ADDRESS = Limit("address", 5, 15 * 60)
PAIR = Limit("address-number", 1, 15 * 60)  # past ADDRESS: one try per number not yet missed
NUMBER = Limit("number", 10, 30 * 24 * 3600)
CODE_ADDRESS = Limit("code-address", 20, 15 * 60)

# What a try comes to (Outcome.case is set only when FOUND).
FOUND, WRONG, ADDRESS_LOCKED, NUMBER_LOCKED, CODES_LOCKED = (
    "found",
    "wrong",
    "address_locked",
    "number_locked",
    "codes_locked",
)

LAST4, CODE = "last4", "code"

_NUMBER = re.compile(r"^([A-Z]{1,6})-?(\d{4})-?(\d{1,6})$")
_DASHES = re.compile(r"[\s‐‑‒–—―_]+")
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_·.]+")
_CODE = re.compile(rf"[{TRACK_CODE_ALPHABET}]{{{TRACK_CODE_LENGTH}}}")


@dataclass(frozen=True)
class Answer:
    """What the resident gave besides the number: the last four digits (LAST4) or a track code (CODE)."""

    kind: str
    value: str


@dataclass(frozen=True)
class Outcome:
    result: str
    case: Case | None = None


def normalize_number(raw: str) -> str | None:
    """SH-2015-0001 from what a resident types (sh 2015 1, ＳＨ－２０１５－０００１ …); None if it is not one."""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    text = _DASHES.sub("-", text).strip("-")
    match = _NUMBER.match(text.replace("--", "-"))
    if not match:
        return None
    prefix, year, serial = match.groups()
    return f"{prefix}-{year}-{int(serial):04d}"


def normalize_answer(raw: str) -> Answer | None:
    """Four digits or a track code from what a resident types (full-width, lower case, spaces and
    dashes as on the slip: "５６７８", "ab2c-d3ef"); None if it is neither."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()
    if re.fullmatch(r"\d{4}", text):
        return Answer(LAST4, text)
    if _CODE.fullmatch(text):
        return Answer(CODE, text)
    return None


def phone_last4(phone: str) -> str:
    """The last four digits of a stored phone, or "" when it has fewer (such a case never matches)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    return digits[-4:] if len(digits) >= 4 else ""


def follow(number: str, answer: Answer, ip: str) -> Outcome:
    """A try at case NUMBER with ANSWER from address IP, within the limits (module docstring).
    IP is counted by address_key(): an IPv6 client by its /64, which it could otherwise rotate
    through, one fresh address per try."""
    ip = address_key(ip)
    if answer.kind == CODE:
        limits = [(CODE_ADDRESS, ip, CODES_LOCKED)]
    else:
        address = ADDRESS if has_room(ADDRESS, ip) else PAIR
        limits = [(address, ip if address is ADDRESS else f"{ip} {number}", ADDRESS_LOCKED)]
        limits.append((NUMBER, number, NUMBER_LOCKED))
    taken = []
    for limit, subject, locked in limits:
        slot = take_slot(limit, subject)
        if slot is None:
            give_back(taken)  # nothing was checked: not a wrong answer
            return Outcome(locked)
        taken.append(slot)
    case = find_case(number, answer)
    if case is None:
        if answer.kind != CODE and limits[0][0] is ADDRESS:
            take_slot(PAIR, f"{ip} {number}")  # a number this address has missed: no second try past its limit
        return Outcome(WRONG)  # the places stay taken for their window
    give_back(taken)
    return Outcome(FOUND, case)


def find_case(number: str, answer: Answer) -> Case | None:
    """The case NUMBER if ANSWER is its resident's phone's last four digits or its track code,
    with what /track/ shows; else None. No limits here: call follow()."""
    # A voided case is still the resident's: /track/ tells them it was voided (and nothing more).
    row = Case.with_voided.filter(number=number).values("pk", "resident_phone", "track_code").first()
    if row is None:
        stored = ""
    elif answer.kind == CODE:
        stored = row["track_code"]
    else:
        stored = phone_last4(row["resident_phone"])
    # Constant-time comparison; a case without a phone (or a code) on record never matches that way.
    if not hmac.compare_digest(stored or "-", answer.value):
        return None
    return Case.with_voided.public().prefetch_related("feedback").get(pk=row["pk"])
