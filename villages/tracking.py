"""A resident follows their own case: its tracking number and the last four digits of their phone.

Both must match; a wrong number and a wrong phone look the same to the client, and each client
(by IP address) gets a few wrong tries per window before it must wait.
"""

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from cases.models import Case

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60

_NUMBER = re.compile(r"^([A-Z]{1,6})-?(\d{4})-?(\d{1,6})$")
_DASHES = re.compile(r"[\s‐‑‒–—―_]+")


def normalize_number(raw: str) -> str | None:
    """SH-2015-0001 from what a resident types (sh 2015 1, ＳＨ－２０１５－０００１ …); None if it is not one."""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    text = _DASHES.sub("-", text).strip("-")
    match = _NUMBER.match(text.replace("--", "-"))
    if not match:
        return None
    prefix, year, serial = match.groups()
    return f"{prefix}-{year}-{int(serial):04d}"


def normalize_last4(raw: str) -> str | None:
    digits = unicodedata.normalize("NFKC", raw or "").strip()
    return digits if re.fullmatch(r"\d{4}", digits) else None


def phone_last4(phone: str) -> str:
    """The last four digits of a stored phone, or "" when it has fewer (such a case never matches)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    return digits[-4:] if len(digits) >= 4 else ""


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a reverse proxy every client shares the proxy's REMOTE_ADDR:
    settings.CLIENT_IP_HEADER names the header the proxy sets (e.g. "HTTP_X_REAL_IP")."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    forwarded = request.META.get(header, "") if header else ""
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR") or "unknown"


def _failures_key(ip: str) -> str:
    return "track:failures:" + hashlib.sha256(ip.encode()).hexdigest()[:32]


def is_throttled(ip: str) -> bool:
    return (cache.get(_failures_key(ip)) or 0) >= MAX_FAILURES


def record_failure(ip: str) -> None:
    key = _failures_key(ip)
    cache.add(key, 0, WINDOW_SECONDS)  # the window starts at the first wrong try
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, WINDOW_SECONDS)


def find_case(number: str, last4: str) -> Case | None:
    """The case NUMBER if its resident's phone ends in LAST4, with what /track/ shows; else None."""
    row = Case.objects.filter(number=number).values("pk", "resident_phone").first()
    stored = phone_last4(row["resident_phone"]) if row else ""
    # Constant-time comparison; a case without a phone on record never matches.
    if not hmac.compare_digest(stored or "no-phone", last4):
        return None
    return Case.objects.public().prefetch_related("feedback").get(pk=row["pk"])
