"""Residents' personal data under PIPL (个人信息保护法): masking, the access log, a resident's
own export, and anonymisation after the retention period.

- Lists and pages show a phone or an address masked; the full value is shown on the case page
  only to the roles that call or visit residents (can_reveal_contact), and each look writes a
  ContactAccess row (who, which case, when, what, from where).
- A resident's data is exported for them (access / portability, PIPL art. 45) by the office.
- `manage.py anonymise_residents` removes the personal fields of cases closed longer ago than
  settings.RESIDENT_DATA_RETENTION_YEARS; every field a figure reads stays as it was.
"""

import csv
import datetime
import io
import itertools
import re
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from cases import ledger_cells, photos
from cases.models import Case, CaseEvent, ContactAccess, Feedback, Referral
from sanhe.lib.cells import neutralise_formula
from sanhe.lib.clientip import client_ip
from teams.roles import ADMIN, CADRE, OFFICE, SUPERVISOR, role_of

# --- masking ----------------------------------------------------------------------------------

# The end of the place part of an address: 东联村, 三合圩社区, 东坊, 新安里 … (house numbers follow).
PLACE_END_RE = re.compile(r"^.{1,12}?(?:社区|村|里|坊|围|队|组)")


def mask_phone(phone: str) -> str:
    """139****5678: the first three and last four digits (staff recognise a number by them);
    "" for no phone, **** for one too short to keep any digit of."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_address(address: str) -> str:
    """测试村*** for 测试村东坊8号: the village part only, never the house."""
    address = (address or "").strip()
    if not address:
        return ""
    match = PLACE_END_RE.match(address)
    kept = match.group(0) if match and len(match.group(0)) < len(address) else address[:2]
    return f"{kept}***"


# --- who sees contact details, and the log of every look ----------------------------------------


def can_reveal_contact(user, case: Case) -> bool:
    """Office staff and administrators (they call residents to feed back); supervisors (their
    spot-checks telephone residents, 电话访问); a cadre of the case's own team (they visit the
    household). Anybody else sees the masked values only."""
    role = role_of(user)
    if role in (OFFICE, ADMIN, SUPERVISOR):
        return True
    if role == CADRE:
        cadre = getattr(user, "cadre", None)
        return cadre is not None and case.team_id is not None and cadre.team_id == case.team_id
    return False


def _entry(request, what: str, case: Case | None = None, fields: str = "") -> ContactAccess:
    user = request.user if request is not None and request.user.is_authenticated else None
    return ContactAccess(
        user=user,
        username=user.get_username() if user else "",
        case=case,
        case_number=case.number if case else "",
        what=what,
        fields=fields[:200],
        ip=client_ip(request)[:45] if request is not None else "",
    )


def log_access(request, what: str, *, case: Case | None = None, fields: str = "") -> ContactAccess:
    """Write one row of the access log for what REQUEST's user just saw or took away."""
    entry = _entry(request, what, case, fields)
    entry.save(force_insert=True)
    return entry


CONTACT_FIELDS = "resident_name,resident_phone,resident_address"


# Filters a log row must not repeat: the free-text search may be a resident's phone or name.
UNLOGGED_FILTERS = ("q",)


def log_export(request, cases: QuerySet, filters) -> int:
    """One row per case of a file that leaves with its residents' details (a staff or admin
    export), so that each case's own log shows who took them away, and when; FILTERS (a QueryDict:
    how the list was chosen) with it, less the free-text search. The number of rows."""
    chosen = filters.copy()
    for name in UNLOGGED_FILTERS:
        chosen.pop(name, None)
    fields = f"{CONTACT_FIELDS}; {chosen.urlencode()}"
    template = _entry(request, ContactAccess.What.EXPORT, None, fields)
    written = 0
    rows = cases.order_by().values_list("pk", "number").iterator(chunk_size=2000)
    while batch := list(itertools.islice(rows, 2000)):
        ContactAccess.objects.bulk_create([_copy(template, pk, number) for pk, number in batch])
        written += len(batch)
    return written


def _copy(template: ContactAccess, case_id: int, number: str) -> ContactAccess:
    return ContactAccess(
        at=template.at,
        user=template.user,
        username=template.username,
        case_id=case_id,
        case_number=number,
        what=template.what,
        fields=template.fields,
        ip=template.ip,
    )


# --- the log as csv (the administrator's export) -----------------------------------------------

LOG_COLUMNS = ("at", "username", "case_number", "what", "fields", "ip")


def log_csv_rows(entries: QuerySet) -> Iterator[str]:
    """The access log ENTRIES as csv lines (a header first), streamed without loading them all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise_formula(str(v)) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line([str(ContactAccess._meta.get_field(name).verbose_name) for name in LOG_COLUMNS])
    rows = entries.order_by("-at", "-id").values_list(*LOG_COLUMNS)
    labels = dict(ContactAccess.What.choices)
    for at, username, number, what, fields, ip in rows.iterator(chunk_size=2000):
        local = timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")
        yield line([local, username, number, str(labels.get(what, what)), fields, ip])


# --- a resident's own data -----------------------------------------------------------------------


def phone_digits(phone: str) -> str:
    """13912345678 from +86 139 1234-5678 or full-width digits: what two spellings of one number share."""
    digits = ledger_cells.phone_digits(phone)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


# Between two numbers in one phone field, as ledgers write them: "139… / 0750-…", "139…、…", "…转…".
SEVERAL_NUMBERS = re.compile(r"[/／、，,;；]|转|或")


def phone_numbers(stored: str) -> set[str]:
    """Each number a phone field holds, as phone_digits gives it."""
    return {digits for part in SEVERAL_NUMBERS.split(stored or "") if (digits := phone_digits(part))}


def resident_cases(*, phone: str = "", name: str = "", village=None, among: QuerySet | None = None) -> QuerySet:
    """A resident's cases AMONG those given (every case when not given; a page gives the user's town's,
    voided included), by their phone however it was written, or by their name within one village.
    The database narrows by the number's last four digits; phone_numbers() decides."""
    # A voided case still holds the resident's data: it is theirs to see and to have deleted.
    among = Case.with_voided.all() if among is None else among
    cases = among.select_related("village", "team", "category", "subcategory", "responsible")
    if phone:
        digits = phone_digits(phone)
        candidates = among.filter(resident_phone__contains=digits[-4:]).values_list("pk", "resident_phone")
        matching = [pk for pk, stored in candidates.iterator(chunk_size=2000) if digits in phone_numbers(stored)]
        return cases.filter(pk__in=matching).order_by("raised_on")
    return cases.filter(resident_name=name.strip(), village=village).order_by("raised_on")


def _date(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


# Apps above this one keep personal data about cases too (reports: what a resident told a
# supervisor's spot-check call). They add theirs to a resident's export and blank it with the rest
# through these, since cases/ may not import them: RESIDENT_DATA_COLLECTED(cases=…) receivers
# return {case pk: {key: value}} to add to each case's entry; CASES_ANONYMISED(ids=…) receivers
# blank their rows of those cases, in the same transaction.
resident_data_collected = Signal()
cases_anonymised = Signal()


def resident_data(cases: Iterable[Case]) -> dict:
    """Everything the town holds about the resident of CASES: their details as recorded and each
    case with its history, feedback and requests for help (PIPL art. 45: a copy of their data)."""
    cases = list(cases)
    events = _by_case(CaseEvent.objects.filter(case__in=cases).order_by("at", "id"))
    feedback = _by_case(Feedback.objects.filter(case__in=cases).order_by("given_on", "id"))
    referrals = _by_case(Referral.objects.filter(case__in=cases).select_related("helper").order_by("asked_on", "id"))
    data = {
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "town": "、".join(sorted({case.town.name for case in cases})),
        "cases": [
            {
                "number": case.number,
                "resident_name": case.resident_name,
                "resident_phone": case.resident_phone,
                "resident_address": case.resident_address,
                "village": case.village.short_name,
                "team": case.team.name if case.team else None,
                "raised_on": _date(case.raised_on),
                "channel": str(case.get_channel_display()),
                "kind": str(case.get_kind_display()),
                "category": case.category.label if case.category else None,
                "subcategory": case.subcategory.label if case.subcategory else None,
                "title": case.title,
                "description": case.description,
                "status": str(case.get_status_display()),
                "decision": str(case.get_decision_display()) if case.decision else None,
                "responsible": case.responsible.name if case.responsible else None,
                "due_on": _date(case.due_on),
                "plan": case.plan,
                "policy_basis": case.policy_basis,
                "closed_on": _date(case.closed_on),
                "closure": str(case.get_closure_display()) if case.closure else None,
                "result": case.result,
                "anonymised_on": _date(case.anonymised_on),
                "history": [
                    {
                        "at": timezone.localtime(e.at).isoformat(timespec="seconds"),
                        "kind": str(e.get_kind_display()),
                        "text": e.shown_text,  # in the reader's language (cases/history.py)
                        "public": e.public,
                    }
                    for e in events.get(case.pk, [])
                ],
                "feedback": [
                    {
                        "given_on": _date(f.given_on),
                        "channel": str(f.get_channel_display()),
                        "satisfaction": str(f.get_satisfaction_display()) if f.satisfaction else None,
                        "notes": f.notes,
                    }
                    for f in feedback.get(case.pk, [])
                ],
                "referrals": [
                    {
                        "helper": str(r.helper),
                        "asked_on": _date(r.asked_on),
                        "request": r.request,
                        "replied_on": _date(r.replied_on),
                        "reply": r.reply,
                    }
                    for r in referrals.get(case.pk, [])
                ],
            }
            for case in cases
        ],
    }
    entries = {case.pk: entry for case, entry in zip(cases, data["cases"], strict=True)}
    for _receiver, parts in resident_data_collected.send(sender=Case, cases=cases):
        for pk, extra in parts.items():
            entries[pk].update(extra)
    return data


def _by_case(rows) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row.case_id, []).append(row)
    return grouped


def log_resident_export(request, cases: Iterable[Case]) -> None:
    """One row per exported case, so that each case's own log shows its data left the system."""
    ContactAccess.objects.bulk_create(
        [_entry(request, ContactAccess.What.RESIDENT_EXPORT, case, "all") for case in cases]
    )


# --- anonymisation after the retention period ----------------------------------------------------

# What anonymisation blanks. Kept: every date, status, category, decision and satisfaction (the
# figures), the public summary and result and the public progress lines (checked for personal
# data before they were saved: cases/privacy.py; they are what the board showed), the policy basis
# and department (they cite policies, not people), and ledger_key (a ledger row imported again must
# find its case, not become a new one). Blanked: the resident's details and every internal free
# text — written at the door, it names families, illnesses and 低保 (description, plan, private
# history lines, feedback notes, the requests to helpers and their replies, and what other apps
# hold through cases_anonymised: the spot-check calls' notes).
CASE_FIELDS = ("resident_name", "resident_phone", "resident_address", "description", "plan")


def cutoff(today: datetime.date, years: int) -> datetime.date:
    """The day YEARS before TODAY (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def due_for_anonymising(today: datetime.date, years: int) -> QuerySet:
    """Closed cases whose closing (voided ones whose voiding) is more than YEARS before TODAY and
    still hold personal data."""
    before = cutoff(today, years)
    voided_before = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
    closed = Q(status=Case.Status.CLOSED, closed_on__lt=before, voided_at__isnull=True)
    return Case.with_voided.filter(closed | Q(voided_at__lt=voided_before), anonymised_on__isnull=True)


def anonymise(*, today: datetime.date, years: int, dry_run: bool = False, batch_size: int = 2000) -> int:
    """Blank the personal data of the cases due (see CASE_FIELDS) in batches of BATCH_SIZE, all in
    one transaction with one log row; the number of cases. DRY_RUN counts and changes nothing."""
    due = due_for_anonymising(today, years)
    if dry_run:
        return due.count()
    return _anonymise(due, today, batch_size, f"closed before {cutoff(today, years)}")


class NotAnonymisable(Exception):
    """A case asked for by number that is not there, not closed, or already anonymised."""


def anonymise_on_request(*, numbers: list[str], today: datetime.date, dry_run: bool = False) -> int:
    """A resident's request for deletion (PIPL art. 47): their cases NUMBERS now, whatever their age.
    Only closed cases: an open one still needs the resident's contact (close it first, e.g. 政策解释)."""
    rows = Case.with_voided.filter(number__in=numbers).values_list("number", "status", "voided_at")
    found = {number: (status, voided_at) for number, status, voided_at in rows}
    missing = [n for n in numbers if n not in found]
    still_open = [n for n, (status, voided_at) in found.items() if status != Case.Status.CLOSED and voided_at is None]
    if missing or still_open:
        raise NotAnonymisable(missing, still_open)
    cases = Case.with_voided.filter(number__in=numbers, anonymised_on__isnull=True)
    if dry_run:
        return cases.count()
    return _anonymise(cases, today, 2000, "on request")


def _anonymise(cases: QuerySet, today: datetime.date, batch_size: int, why: str) -> int:
    done = last = 0
    with transaction.atomic():
        while ids := list(cases.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]):
            _anonymise_batch(ids, today)
            done, last = done + len(ids), ids[-1]
        if done:
            ContactAccess.objects.create(
                what=ContactAccess.What.ANONYMISE,
                username="manage.py anonymise_residents",
                fields=f"{','.join(CASE_FIELDS)}; n={done}; {why}",
            )
    return done


def _anonymise_batch(ids: list[int], today: datetime.date) -> None:
    # version moves on so that an edit form opened before cannot write the old details back.
    blank = dict.fromkeys(CASE_FIELDS, "")
    Case.with_voided.filter(pk__in=ids).update(
        **blank, anonymised_on=today, version=F("version") + 1, updated_at=timezone.now()
    )
    CaseEvent.objects.filter(case_id__in=ids, public=False).exclude(text="").update(text="")
    Feedback.objects.filter(case_id__in=ids).exclude(notes="").update(notes="")
    Referral.objects.filter(case_id__in=ids).update(request="", reply="")
    photos.forget_private_photos(ids)
    cases_anonymised.send(sender=Case, ids=ids)
