"""Accessibility of every page, staff and public, in a real browser: axe-core (WCAG 2.1 A and AA)
finds no serious or critical violation at a phone's size and on a desk; at the phone's size every
visible text is at least 16 px and every control a target of at least 44 × 44 px (WCAG 2.5.5), but
for links inside a sentence. axe-core is vendored in sanhe/tests/vendor/ and injected only here."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases.models import Case
from reports.behind import VISIT_FIGURES
from reports.models import Notice, StatedReport
from reports.tests.factories import NoticeFactory, SpotCheckDrawFactory, SpotCheckFactory
from teams.models import Cadre, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect = pytest.importorskip("playwright.sync_api").expect

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "sanhe-2015"  # load_demo's
VISIT_FIGURE = sorted(VISIT_FIGURES)[0]

RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, targets: v.nodes.slice(0, 5)
      .map(n => `${n.target.join(" ")} ${n.html.slice(0, 80)}`)})))"""

# Staff text is at least 16 px; a control's target is at least 44 × 44 px. A checkbox or radio
# counts with its label (clicking either ticks it). A link inside running text is exempt (WCAG
# 2.5.5's inline exception): its parent is a p, li or td with text of its own beside the link.
MEASURE = """min => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${
    el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""
  } «${(el.textContent || el.value || "").trim().slice(0, 16)}»`;
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || el.closest("svg")) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min) problems.push(`text ${size}px ${name(el)}`);
  }
  const inline = (el) => el.tagName === "A" && ["P", "LI", "TD"].includes(el.parentElement.tagName)
    && [...el.parentElement.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  const controls = "a[href], button, select, textarea, summary, input:not([type=hidden]), "
    + "label:has(input[type=checkbox])";
  const size = (el) => {
    let boxes = [el.getBoundingClientRect()];
    if (el.labels) boxes = boxes.concat([...el.labels].filter(shown).map((l) => l.getBoundingClientRect()));
    return [Math.max(...boxes.map((b) => b.width)), Math.max(...boxes.map((b) => b.height))];
  };
  const big = (el) => size(el).every((d) => d >= 43.5);
  // A chart's bar may be a small link when the table beside it has the same link, big enough
  // (WCAG 2.5.5's "equivalent" exception).
  const equivalent = (el) => el.closest("svg") && [...document.querySelectorAll("a[href]")].some((other) =>
    !other.closest("svg") && other.getAttribute("href") === el.getAttribute("href") && shown(other) && big(other));
  for (const el of document.body.querySelectorAll(controls)) {
    if (!shown(el) || inline(el) || big(el) || equivalent(el)) continue;
    const [w, h] = size(el);
    problems.push(`target ${Math.round(w)}x${Math.round(h)} ${name(el)}`);
  }
  return problems;
}"""


@pytest.fixture
def world():
    """The demo town (cases in every status, visits, users) and what it lacks: a notice, a
    spot-check draw with one check done, a stated report to reconcile."""
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_stated_report", stdout=io.StringIO())
    cadre = Cadre.objects.select_related("team__village").get(user__username="cadre")
    team = cadre.team
    case = Case.objects.filter(team=team).exclude(status=Case.Status.CLOSED).order_by("number").first()
    closed = Case.objects.filter(team=team, status=Case.Status.CLOSED).order_by("number").first()
    visit = Visit.objects.filter(team=team).order_by("pk").first()
    draw = SpotCheckDrawFactory()
    SpotCheckFactory(draw=draw, case=closed, done=True)
    SpotCheckFactory(draw=draw, case=Case.objects.filter(status=Case.Status.CLOSED).order_by("-number").first())
    notice = NoticeFactory()
    published = NoticeFactory(
        status=Notice.Status.PUBLISHED, published_at=datetime.datetime(2015, 2, 5, 9, tzinfo=datetime.UTC)
    )
    report = StatedReport.objects.order_by("pk").first()
    assert case and closed and visit and report
    code = team.village.code
    staff = {
        "home": reverse("home"),
        "my-team": reverse("my_team"),
        "triage": reverse("triage"),
        "visits": reverse("visit_list"),
        "visit-new": reverse("visit_new"),
        "visit": reverse("visit_detail", args=[visit.pk]),
        "visit-edit": reverse("visit_edit", args=[visit.pk]),
        "cases": reverse("cases:list"),
        "case": reverse("cases:detail", args=[case.number]),
        "case-closed": reverse("cases:detail", args=[closed.number]),
        "ledger-upload": reverse("cases:ledger_upload"),
        "residents": reverse("cases:residents"),
        "reports": reverse("reports:summary") + "?month=2015-01",
        "figure-cases": reverse("reports:cases") + "?figure=collected_closed&start=2015-01-01&end=2015-01-31",
        "figure-visits": reverse("reports:cases") + f"?figure={VISIT_FIGURE}&start=2015-01-01&end=2015-01-31",
        "ranking": reverse("reports:ranking") + "?month=2015-01",
        "checks": reverse("reports:checks"),
        "draw": reverse("reports:draw", args=[draw.pk]),
        "notices": reverse("reports:notice_index"),
        "notice-edit": reverse("reports:notice_edit", args=[notice.pk]),
        "reconcile-list": reverse("reports:reconcile_list"),
        "reconcile": reverse("reports:reconcile", args=[report.pk]),
        "reconcile-new": reverse("reports:reconcile_new"),
        "pack": reverse("reports:pack") + "?month=2015-01&as_of=2015-02-01",
        "security": reverse("account_security"),
        "slip": reverse("slip", args=[case.number]),
    }
    public = {
        "board-index": reverse("board:index"),
        "board": reverse("board:village", args=[code]),
        "print-board": reverse("board:print", args=[code]),
        "track": reverse("track:index"),
        "notices": reverse("reports:notice_index"),
        "notice": reverse("reports:notice", args=[published.pk]),
        "login": reverse("login"),
    }
    return {"staff": staff, "public": public}


def _context(chromium, live_server, viewport):
    # bypass_csp: axe is injected as an inline script, which the app's policy rightly refuses.
    return chromium.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url, bypass_csp=True)


def _log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _audit(page, url: str, measure: bool) -> list[str] | None:
    """What breaks at URL, or None when this user may not see it."""
    response = page.goto(url)
    if response.status in (403, 404) or ("/accounts/login/" in page.url and "/accounts/login/" not in url):
        return None
    assert response.status == 200, f"{url}: {response.status}"
    # Open every folded panel: what is inside must pass too.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    # A case's action panels fetch their form when opened (htmx): audit the forms, not the loading links.
    page.wait_for_function("!document.querySelector('details[hx-get] .detail-panel-link, .htmx-request')")
    page.add_script_tag(path=str(AXE))
    problems = [f"axe {v['id']} ({v['impact']}): {' | '.join(v['targets'])}" for v in page.evaluate(RUN_AXE, TAGS)]
    if measure:
        problems += page.evaluate(MEASURE, 16)
    return problems


def _report(found: dict[str, list[str]]) -> str:
    lines = []
    for name, problems in found.items():
        lines.append(f"{name}: {len(problems)}")
        lines += [f"    {p}" for p in problems]
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_staff_pages_pass_axe_and_size_rules(chromium, live_server, world, viewport):
    found, seen = {}, set()
    for role in ("cadre", "office", "supervisor"):
        context = _context(chromium, live_server, viewport)
        page = context.new_page()
        _log_in(page, role)
        for name, url in world["staff"].items():
            problems = _audit(page, url, measure=viewport is PHONE)
            if problems is not None:
                seen.add(name)
                found[f"{role} {name}"] = problems
        context.close()
    print(_report(found))
    assert seen == set(world["staff"]), f"seen by no role: {set(world['staff']) - seen}"
    assert not any(found.values()), _report({k: v for k, v in found.items() if v})


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_public_pages_pass_axe_and_size_rules(chromium, live_server, world, viewport):
    context = _context(chromium, live_server, viewport)
    page = context.new_page()
    found = {name: _audit(page, url, measure=viewport is PHONE) for name, url in world["public"].items()}
    context.close()
    print(_report(found))
    assert None not in found.values()
    assert not any(found.values()), _report({k: v for k, v in found.items() if v})


def test_bulk_without_a_tick_says_tick_first_and_links_to_the_first_checkbox(chromium, live_server, world):
    context = _context(chromium, live_server, PHONE)
    page = context.new_page()
    _log_in(page, "office")
    page.goto(world["staff"]["cases"])
    page.select_option("#bulk_responsible", index=1)
    page.click("button[name=action][value=assign]")

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    link = summary.locator("a[href='#bulk_case_0']")
    expect(link).to_contain_text("请先勾选要处理的问题。")
    # The summary comes before the list, and the checkbox it names is the first one, focused.
    before = "document.querySelector('.error-summary').compareDocumentPosition(document.querySelector('table')) & 4"
    assert page.evaluate(before)
    first = page.locator("input[type=checkbox][name=case]").first
    expect(first).to_have_id("bulk_case_0")
    expect(first).to_be_focused()
    link.click()
    expect(first).to_be_focused()
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE, TAGS) == []
    context.close()
