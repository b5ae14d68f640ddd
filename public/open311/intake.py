"""Open311's POST: API keys, the hourly limit per key, and registering a report as a case.

A report is registered as the cadre's form registers a problem (cases/views/visits.py problem_add):
cases.workflow.register_case, which checks the public summary with the one public-text checker
(cases/privacy.py) and keeps a sensitive case's detail off the board. Who sent it (first_name,
last_name, phone) and where (address_string) go to the case's private resident fields only.

Every attempt is written to Open311Post, refused ones too (with the HTTP status).
"""

import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import workflow
from cases.ledger_cells import public_title
from cases.models import Case
from cases.privacy import public_names
from public.models import Open311Client, Open311Post
from public.open311.formats import Open311Error
from public.open311.reads import KIND_CODE, find_service, service_notice
from sanhe.lib import keys
from sanhe.lib.clientip import address_key
from sanhe.lib.slots import Limit, take_slot
from villages.models import Village

DESCRIPTION_MAX = 4000  # the spec's limit
TITLE_MAX = 120  # Case.title
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"
IDEMPOTENCY_MAX = 64
PHONE = re.compile(r"^[0-9+\- ]{7,20}$")  # as the cadre's form (cases/visit_forms.py ProblemForm)
HOUR = 3600


# -- Keys -------------------------------------------------------------------------------------------


def issue_key(client: Open311Client) -> str:
    """Give CLIENT a new key (unsaved): the raw key is returned to be shown once, never stored."""
    key = keys.new_key(lambda prefix: Open311Client.objects.filter(key_prefix=prefix).exclude(pk=client.pk).exists())
    client.key_prefix, client.key_hash = key.prefix, key.digest
    return key.raw


def revoke(client: Open311Client) -> None:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])


def authenticate(raw_key: str) -> Open311Client:
    """The client whose key RAW_KEY is (403 if none, or if it is revoked)."""
    prefix = keys.prefix_of(raw_key)
    client = Open311Client.objects.filter(key_prefix=prefix).first() if prefix else None
    if client is None or not keys.matches(client.key_hash, raw_key):
        raise Open311Error(403, _("api_key 缺失或无效，不能提交。"))
    if client.is_revoked:
        raise Refused(client, Open311Error(403, _("这个 api_key 已停用，不能提交。")))
    return client


class Refused(Exception):
    """A refusal once the client is known (logged against it)."""

    def __init__(self, client: Open311Client, error: Open311Error):
        self.client, self.error = client, error
        super().__init__(str(error))


def hourly_limit(client: Open311Client) -> int:
    return client.posts_per_hour if client.posts_per_hour is not None else settings.OPEN311_POSTS_PER_HOUR


def count_post(client: Open311Client) -> None:
    """Count one post in the client's last hour; 429 past its limit. The /track/ throttle's slots
    (sanhe/lib/slots.py take_slot): each post its own cache entry taken with the atomic cache.add,
    so the hour slides and simultaneous posts never share a place (cache.incr is get-then-set on db://)."""
    limit = Limit("open311-posts", hourly_limit(client), HOUR)
    if take_slot(limit, str(client.pk)) is None:
        raise Open311Error(429, _("提交过于频繁：每个 api_key 每小时最多提交 %(n)s 次。") % {"n": hourly_limit(client)})


# -- The report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A POST's fields, checked."""

    subcategory: object
    village: Village
    description: str
    kind: str
    resident_name: str
    resident_phone: str
    resident_address: str


def _field(data, name: str, limit: int, *, fold: bool = False) -> str:
    """The text field NAME of DATA, trimmed (FOLD: full-width digits and letters as ASCII, for codes)."""
    value = str(data.get(name, ""))
    value = (unicodedata.normalize("NFKC", value) if fold else value).strip()
    if len(value) > limit:
        raise Open311Error(400, _("%(name)s 太长（最多 %(n)s 个字）。") % {"name": name, "n": limit})
    return value


def find_village(address_id: str, address_string: str, town=None) -> Village:
    """The village of ADDRESS_ID (its 12-digit code) or named in ADDRESS_STRING, within TOWN (the
    jurisdiction asked for; the whole county without one); 400 if none or several."""
    villages = list(Village.objects.all() if town is None else Village.objects.filter(town=town))
    if address_id:
        found = [v for v in villages if v.code == address_id]
    else:
        exact = [v for v in villages if address_string in (v.code, v.name, v.short_name)]
        found = exact or [v for v in villages if v.name in address_string or v.short_name in address_string]
    if len(found) != 1:
        names = "、".join(v.short_name for v in villages)
        raise Open311Error(
            400,
            _("请用 address_id（村的12位区划代码）或 address_string（含村名）写明在哪个村（社区）：%(names)s。")
            % {"names": names},
        )
    return found[0]


def read_report(data, town=None) -> Report:
    """The POST's fields as a Report, or an Open311Error saying what is wrong."""
    code = _field(data, "service_code", 40, fold=True)
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    address_id, address_string = _field(data, "address_id", 12, fold=True), _field(data, "address_string", 200)
    # The village decides the town (within the jurisdiction if one was named), and the town its services.
    village = find_village(address_id, address_string, town)
    sub = find_service(code, village.town_id)
    description = _field(data, "description", DESCRIPTION_MAX)
    if not description:
        raise Open311Error(400, _("缺少 description：请写明反映的问题。"))
    kind = _field(data, f"attribute[{KIND_CODE}]", 20, fold=True) or Case.Kind.HELP
    if kind not in Case.Kind.values:
        raise Open311Error(400, _("attribute[kind] 只能是：%(kinds)s。") % {"kinds": ", ".join(Case.Kind.values)})
    phone = _field(data, "phone", 30, fold=True)
    if phone and (not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7):
        raise Open311Error(400, _("phone 只能写数字、“-”、“+”和空格，7至20位。"))
    name = (_field(data, "last_name", 25) + _field(data, "first_name", 25)).strip()
    return Report(sub, village, description, kind, name, phone, address_string)


def summary_of(case: Case, description: str) -> str:
    """The case's public summary: the description's first line without what identifies a resident
    (the one checker, cases/privacy.py, stripping as the imports do: the sender cannot be asked to
    rewrite), else the service's name. The description itself stays private."""
    line = description.strip().splitlines()[0] if description.strip() else ""
    title, _removed = public_title(line, public_names(case))
    return title or case.subcategory.label


def build_case(report: Report) -> Case:
    """The case as the cadre's form builds it: the village's team (when one team is stationed
    there), raised today, sent in online, classified by the service."""
    teams = list(report.village.teams.all()[:2])
    return Case(
        village=report.village,
        team=teams[0] if len(teams) == 1 else None,
        raised_on=timezone.localdate(),
        channel=Case.Channel.ONLINE,
        kind=report.kind,
        category=report.subcategory.category,
        subcategory=report.subcategory,
        description=report.description,
        public_posting=True,  # registration keeps a sensitive case's detail off the board
        resident_name=report.resident_name,
        resident_phone=report.resident_phone,
        resident_address=report.resident_address,
    )


def _refusal(error: ValidationError) -> Open311Error:
    return Open311Error(400, " ".join(error.messages))


@dataclass(frozen=True)
class Posted:
    """What a POST registered (or, REPLAYED, had registered before) and the token it was given."""

    case: Case
    token: str
    replayed: bool

    def response_item(self) -> dict:
        case = self.case
        return {
            "service_request_id": case.number,
            "token": self.token,
            "service_notice": service_notice(case) or None,
        }


def idempotency_key(request) -> str:
    key = (request.headers.get(IDEMPOTENCY_HEADER) or request.POST.get(IDEMPOTENCY_FIELD) or "").strip()
    if len(key) > IDEMPOTENCY_MAX:
        raise Open311Error(400, _("Idempotency-Key 最长 %(n)s 个字符。") % {"n": IDEMPOTENCY_MAX})
    return key


def _first(client: Open311Client, key: str) -> Open311Post | None:
    if not key:
        return None
    posts = Open311Post.objects.select_related("case").filter(client=client, idempotency_key=key)
    return posts.filter(outcome=Open311Post.Outcome.CREATED).first()


def submit(client: Open311Client, data, *, key: str, ip: str, town=None) -> Posted:
    """Register DATA from CLIENT as a case, once per idempotency KEY: the same key sent again
    answers with the first case (logged as replayed). Open311Error when refused."""
    first = _first(client, key)
    if first is not None:
        return _replay(client, first, ip)
    report = read_report(data, town)
    case = build_case(report)
    case.title = summary_of(case, report.description)
    try:
        with transaction.atomic():
            workflow.register_case(case=case, by=None, data={"code": "registered", "channel": str(case.channel)})
            post = log(client, Open311Post.Outcome.CREATED, 200, ip=ip, case=case, key=key, token=secrets.token_hex(16))
    except ValidationError as error:
        raise _refusal(error) from None
    except IntegrityError:  # the same key at the same moment: the first one's case, nothing of this one
        first = _first(client, key)
        if first is None:
            raise
        return _replay(client, first, ip)
    return Posted(case, post.token, False)


def _replay(client: Open311Client, first: Open311Post, ip: str) -> Posted:
    log(client, Open311Post.Outcome.REPLAYED, 200, ip=ip, case=first.case)
    return Posted(first.case, first.token, True)


# Refused posts written to the log per address an hour: past it, refusals from there are still
# answered but no longer written, so that nobody fills the log with posts that carry no valid key.
REFUSALS_LOGGED = Limit("open311-refused", 30, HOUR)


def log_refusal(client, error: Open311Error, ip: str) -> None:
    if take_slot(REFUSALS_LOGGED, address_key(ip)) is not None:
        log(client, Open311Post.Outcome.REFUSED, error.status, ip=ip, message=error.description)


def log(client, outcome: str, status: int, *, ip: str, case=None, key: str = "", token: str = "", message: str = ""):
    post = Open311Post.objects.create(
        client=client,
        case=case,
        outcome=outcome,
        status_code=status,
        message=message[:300],
        remote_ip=ip[:45],
        idempotency_key=key,
        token=token,
    )
    if client is not None:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=post.created_at)
    return post
