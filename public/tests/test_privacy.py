"""The privacy scan: many cases carrying distinctive private data, then every public URL fetched
and searched for any of it. Public = no login: the notice board (index, every village, every
filter, every page, both print layouts), /track/ (every right answer and wrong ones), and the
public JSON."""

import datetime
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, Referral
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public.tests.helpers import add_event, add_feedback
from teams.tests.factories import CadreFactory, HelperFactory, TeamFactory

SURNAMES = ["司徒", "欧阳", "上官", "诸葛", "慕容", "令狐", "东方", "皇甫", "尉迟", "公孙"]
GIVEN = ["翠萍", "振华", "明珠", "春燕", "国强", "秀兰", "金凤", "德胜", "玉梅", "永福"]
PUBLIC_PREFIXES = ("/notice/", "/track/", "/reports/summary.json")


def _private_case(team, category, index: int, *, posted: bool) -> tuple[Case, list[str]]:
    name = SURNAMES[index % 10] + GIVEN[(index // 10) % 10] + "氏"[: index // 100]
    phone = f"1398{index:03d}{(index * 7919) % 10000:04d}"
    secrets = {
        "name": name,
        "given": name[len(SURNAMES[index % 10]) :],
        "phone": phone,
        "phone_spaced": f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        "address": f"后山坊隐秘巷{index}号",
        "description": f"内部描述机密{index:03d}",
        "plan": f"实施方案机密{index:03d}",
        "policy": f"政策依据机密{index:03d}",
        "internal_event": f"内部跟进机密{index:03d}",
        "registration_note": f"登记备注机密{index:03d}",
        "feedback_note": f"反馈备注机密{index:03d}",
        "referral": f"协助请求机密{index:03d}",
    }
    closed = index % 3 == 0
    case = CaseFactory(
        team=team,
        category=category if index % 4 else None,
        raised_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=index % 19),
        resident_name=name,
        resident_phone=secrets["phone_spaced"] if index % 2 else phone,
        resident_address=secrets["address"],
        description=secrets["description"],
        plan=secrets["plan"],
        policy_basis=secrets["policy"],
        public_posting=posted,
        title=f"公开摘要{index:03d}" if posted else f"不公示摘要机密{index:03d}",
        **({"closed": True, "result": f"公开结果{index:03d}"} if closed else {}),
    )
    if not posted:
        secrets["title"] = case.title
    # Registration notes may name the resident: the board shows only that it was registered.
    add_event(case, f"{secrets['registration_note']}，{name}当面反映", kind=CaseEvent.Kind.REGISTERED, day=1)
    add_event(case, f"公开进展{index:03d}", day=2)
    add_event(case, f"{secrets['internal_event']}：{name}，电话{phone}", public=False, day=3)
    Referral.objects.create(
        case=case, helper=HelperFactory(), asked_on=datetime.date(2015, 1, 5), request=secrets["referral"]
    )
    if closed:
        add_feedback(case, notes=f"{secrets['feedback_note']} {name}", given_by=CadreFactory(name="反馈人机密干部"))
        secrets["feedback_by"] = "反馈人机密干部"
    return case, list(secrets.values())


@pytest.fixture
def ledger(db):
    """Three villages; one with 45 cases (three pages); a quarter not for public posting."""
    category = SubCategoryFactory(category__label="农田水利建设").category
    cases, secrets = [], []
    for team, count in ((TeamFactory(), 45), (TeamFactory(), 12), (TeamFactory(), 3)):
        for _ in range(count):
            case, private = _private_case(team, category, len(cases), posted=len(cases) % 4 != 1)
            cases.append(case)
            secrets += private
    return cases, secrets


def _links(base: str, html: str) -> set[str]:
    found = set()
    for href in re.findall(r'href="([^"#]*)', html):
        url = urljoin(base, href.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc in ("", "testserver") and parts.path.startswith(PUBLIC_PREFIXES):
            found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _crawl(client, start: list[str]) -> dict[str, str]:
    """Every public page reachable by links from START (and START itself): url → body."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        body = response.content.decode()
        seen[url] = body
        queue.extend(_links(url, body) - seen.keys())
    return seen


def test_privacy_scan_finds_no_private_data_on_any_public_page(client, ledger):
    cases, secrets = ledger
    villages = {case.village for case in cases}
    category = next(case.category for case in cases if case.category)
    start = ["/notice/", "/track/", "/reports/summary.json", "/reports/summary.json?start=2015-01-01&end=2015-01-31"]
    for village in villages:
        board = reverse("board:village", args=[village.code])
        paper = reverse("board:print", args=[village.code])
        start += [paper, f"{paper}?size=a3"]
        for status in ("", "open", "registered", "in_progress", "closed"):
            for cat in ("", "none", str(category.pk)):
                start.append(f"{board}?status={status}&category={cat}")
    pages = _crawl(client, start)

    # Every answer /track/ can give: each case found by its resident, and wrong tries.
    for case in cases:
        last4 = re.sub(r"\D", "", case.resident_phone)[-4:]
        response = client.post(reverse("track:index"), {"number": case.number, "last4": last4})
        assert f"问题 {case.number}" in response.content.decode()
        pages[f"POST /track/ {case.number}"] = response.content.decode()
    for number, last4 in ((cases[0].number, "0000"), ("SH-2015-9999", "1234")):
        response = client.post(reverse("track:index"), {"number": number, "last4": last4})
        pages[f"POST /track/ {number} {last4}"] = response.content.decode()

    big_village = cases[0].village.code
    assert {f"/notice/{big_village}/?page=2", f"/notice/{big_village}/?page=3", "/notice/"} <= pages.keys()
    assert all(f"/notice/{v.code}/print/" in pages for v in villages)
    assert len(pages) > 200
    leaks = {(url, secret) for url, body in pages.items() for secret in secrets if secret in body}
    assert sorted(leaks) == []


def test_privacy_scan_sees_the_public_data_it_should(client, ledger):
    """The scan's control: what is public does show, so an empty page cannot pass the scan."""
    cases, _secrets = ledger
    newest = cases[18]  # raised last in its village, posted, closed
    page = client.get(reverse("board:village", args=[newest.village.code])).content.decode()
    assert ("公开摘要018" in page, "公开进展018" in page, "公开结果018" in page) == (True, True, True)
    last4 = re.sub(r"\D", "", newest.resident_phone)[-4:]
    tracked = client.post(reverse("track:index"), {"number": newest.number, "last4": last4}).content.decode()
    assert f"<dd>{newest.resident_name[0]}**</dd>" in tracked


def _open311_urls(cases) -> list[str]:
    """Every Open311 GET answer over the ledger, in both formats: discovery, services, each service's
    definition, the request lists (every status, every category's services, page by page) and each
    request by its number."""
    from cases.models import SubCategory

    span = "start_date=2015-01-01T00:00:00%2B08:00&end_date=2015-03-31T00:00:00%2B08:00"
    codes = list(SubCategory.objects.values_list("code", flat=True))
    urls = []
    for fmt in ("json", "xml"):
        urls += [reverse("open311:discovery", kwargs={"fmt": fmt}), reverse("open311:services", kwargs={"fmt": fmt})]
        urls += [reverse("open311:service", kwargs={"code": code, "fmt": fmt}) for code in codes]
        listed = reverse("open311:requests", kwargs={"fmt": fmt})
        for status in ("", "open", "closed", "open,closed"):
            urls.append(f"{listed}?{span}&status={status}")
        urls += [f"{listed}?{span}&service_code={code}" for code in codes]
        urls += [f"{listed}?{span}&page_size=7&page={page}" for page in range(1, 10)]
        urls.append(f"{listed}?service_request_id={','.join(case.number for case in cases)}")
        urls += [reverse("open311:request", kwargs={"number": case.number, "fmt": fmt}) for case in cases]
    return urls


def test_privacy_scan_finds_no_private_data_in_any_open311_answer(client, ledger):
    cases, secrets = ledger

    answers = {}
    for url in _open311_urls(cases):
        response = client.get(url)
        assert response.status_code == 200, url
        answers[url] = response.content.decode()

    listed = answers[
        reverse("open311:requests", kwargs={"fmt": "json"}) + "?service_request_id=" + ",".join(c.number for c in cases)
    ]
    assert all(case.number in listed for case in cases)  # the control: every case is there
    assert "公开摘要018" in listed and "公开结果018" in listed
    leaks = {(url, secret) for url, body in answers.items() for secret in secrets if secret in body}
    assert sorted(leaks) == []
