"""/track/ that cannot be guessed (issue 11, point 4): wrong answers limited per tracking number
across addresses as well as per address, right answers never counted, and the track code on the
resident's slip (public/tracking.py, cases/numbering.py)."""

import datetime
import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from cases import numbering, workflow
from cases.batch import Batch
from cases.ledger import import_ledger, read_ledger
from cases.models import Case
from cases.resources import CaseResource
from cases.tests.factories import CaseFactory
from cases.tests.test_import_speed import ledger_file, resource_rows, town  # noqa: F401 - town is a fixture
from public import tracking

NOT_FOUND = "没有查到：编号、电话后四位或查询码不对。请对照登记回执再试一次。"
ADDRESS_LOCK = "查询错误次数过多，请15分钟后再试。登记回执上有查询码的，现在就可以用查询码查询"
NUMBER_LOCK = "已暂停用电话后四位查询。请改用登记回执上的8位查询码查询"
CODES_LOCK = "查询码错误次数过多，请15分钟后再试"
CODE = re.compile(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}")


@pytest.fixture
def case(db):
    """A case registered as a cadre registers one: numbered, with its track code."""
    team = CaseFactory.build().team
    team.village.save()
    team.save()
    draft = Case(village=team.village, team=team, raised_on=datetime.date(2015, 1, 8), title="水渠年久失修")
    draft.resident_name, draft.resident_phone = "陈大文", "139 1234 5678"
    return workflow.register_case(case=draft)


def track(client, number, answer, ip="10.0.0.1"):
    return client.post(reverse("track:index"), {"number": number, "last4": answer}, REMOTE_ADDR=ip)


def page(response) -> str:
    return response.content.decode()


def found(response, case) -> bool:
    return f"问题 {case.number}" in page(response)


def wrong_digits(right: str):
    """Every four digits but RIGHT, in order."""
    return (f"{n:04d}" for n in range(10_000) if f"{n:04d}" != right)


# -- Per number, across addresses --------------------------------------------------------------


def test_many_addresses_guessing_one_number_are_stopped_after_the_numbers_wrong_answers(client, case):
    guesses = wrong_digits("5678")
    answers = [track(client, case.number, next(guesses), ip=f"10.1.0.{i}") for i in range(30)]

    assert [page(r).count(NOT_FOUND) for r in answers] == [1] * tracking.NUMBER.tries + [0] * (
        30 - tracking.NUMBER.tries
    )
    assert all(r.status_code == 429 and NUMBER_LOCK in page(r) for r in answers[tracking.NUMBER.tries :])
    assert case.town.phone in page(answers[-1])
    # Now even the right digits from a fresh address are refused: otherwise the guessing would go on.
    right = track(client, case.number, "5678", ip="10.2.0.1")
    assert (right.status_code, found(right, case), NUMBER_LOCK in page(right)) == (429, False, True)


def test_the_audits_247_addresses_never_find_the_digits(client, case):
    """The audit found four digits in 1,235 tries from 247 addresses; the right answer is among them here."""
    guesses = [*(f"{n:04d}" for n in range(5678 - 600, 5678)), "5678", *(f"{n:04d}" for n in range(5679, 6313))]
    shown = 0
    for i, guess in enumerate(guesses):
        shown += found(track(client, case.number, guess, ip=f"127.0.{i // 5 // 250}.{i // 5 % 250}"), case)
    assert (len(guesses), len(set(guesses)), shown) == (1235, 1235, 0)


def test_a_locked_number_is_still_followed_with_its_track_code(client, case):
    for i, guess in zip(range(tracking.NUMBER.tries), wrong_digits("5678"), strict=False):
        track(client, case.number, guess, ip=f"10.1.0.{i}")
    assert NUMBER_LOCK in page(track(client, case.number, "5678", ip="10.2.0.1"))

    response = track(client, case.number, case.track_code, ip="10.2.0.1")
    assert (response.status_code, found(response, case)) == (200, True)


def test_right_answers_give_their_places_back(client, case):
    for i in range(3 * tracking.NUMBER.tries):
        assert found(track(client, case.number, "5678", ip=f"10.1.0.{i}"), case)
    assert found(track(client, case.number, "5678"), case)


# -- Per address -------------------------------------------------------------------------------


def test_an_address_is_blocked_after_its_wrong_answers_at_any_numbers(client, case):
    for n in range(tracking.ADDRESS.tries):
        assert NOT_FOUND in page(track(client, f"SH-2015-{n + 100:04d}", "1234"))
    for n in range(tracking.ADDRESS.tries):  # past its limit: no second try at a number it missed
        blocked = track(client, f"SH-2015-{n + 100:04d}", "4321")
        assert (blocked.status_code, ADDRESS_LOCK in page(blocked)) == (429, True)


def test_past_its_limit_an_address_gets_one_try_at_a_number_it_has_not_missed(client, case):
    for n in range(tracking.ADDRESS.tries):
        track(client, f"SH-2015-{n + 100:04d}", "1234")

    assert NOT_FOUND in page(track(client, "SH-2015-0200", "1234"))
    again = track(client, "SH-2015-0200", "5678")
    assert (again.status_code, ADDRESS_LOCK in page(again)) == (429, True)


def test_the_resident_at_an_address_someone_else_guessed_from_follows_their_case(client, case):
    # A village's shared address: a guesser missed other numbers from it, past the address's limit.
    for n in range(2 * tracking.ADDRESS.tries):
        track(client, f"SH-2015-{n + 100:04d}", "1234", ip="10.0.0.66")

    resident = track(client, case.number, "5678", ip="10.0.0.66")
    assert (resident.status_code, found(resident, case)) == (200, True)


def test_the_right_answer_from_a_clean_address_works_while_another_address_is_blocked(client, case):
    for guess in list(wrong_digits("5678"))[: tracking.ADDRESS.tries]:
        track(client, case.number, guess, ip="10.0.0.66")
    assert track(client, case.number, "5678", ip="10.0.0.66").status_code == 429

    resident = track(client, case.number, "5678", ip="10.0.0.7")
    assert (resident.status_code, found(resident, case)) == (200, True)


def test_behind_a_blocked_address_the_resident_follows_the_case_with_the_code(client, case):
    for guess in list(wrong_digits("5678"))[: tracking.ADDRESS.tries]:
        track(client, case.number, guess)

    response = track(client, case.number, case.track_code)
    assert (response.status_code, found(response, case)) == (200, True)


def test_an_address_that_gives_only_right_answers_is_never_blocked(client, case):
    for _ in range(3 * tracking.ADDRESS.tries):
        assert found(track(client, case.number, "5678"), case)


def test_wrong_codes_have_their_own_ceiling_and_do_not_lock_the_digits(client, case):
    for _ in range(tracking.CODE_ADDRESS.tries):
        assert NOT_FOUND in page(track(client, case.number, "ABCDEFGH"))
    codes_locked = track(client, case.number, case.track_code)
    assert (codes_locked.status_code, CODES_LOCK in page(codes_locked), found(codes_locked, case)) == (429, True, False)
    assert found(track(client, case.number, "5678"), case)


# -- The answers do not tell a number that does not exist ------------------------------------


def same_page(existing: str, missing: str, case) -> bool:
    def strip(text):
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        return text.replace(case.number, "N").replace("SH-2015-9999", "N")

    return strip(existing) == strip(missing)


@pytest.mark.parametrize("kind", ["wrong", "address", "number", "codes"])
def test_a_number_that_does_not_exist_answers_and_locks_as_an_existing_one(client, case, kind):
    def run(number, ip_base):
        """The same tries at NUMBER; the last answer."""
        if kind == "wrong":
            return track(client, number, "0000", ip=f"{ip_base}.1")
        if kind == "address":
            tries = [track(client, number, g, ip=f"{ip_base}.1") for g in ["0000"] * (tracking.ADDRESS.tries + 1)]
        elif kind == "number":
            tries = [track(client, number, "0000", ip=f"{ip_base}.{i}") for i in range(tracking.NUMBER.tries + 1)]
        else:
            tries = [
                track(client, number, "ABCDEFGH", ip=f"{ip_base}.1") for _ in range(tracking.CODE_ADDRESS.tries + 1)
            ]
        return tries[-1]

    existing, missing = run(case.number, "10.3.0"), run("SH-2015-9999", "10.4.0")
    assert existing.status_code == missing.status_code == (200 if kind == "wrong" else 429)
    assert same_page(page(existing), page(missing), case)


# -- The track code --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: f"{code[:4]}-{code[4:]}".lower(),
        lambda code: f" {code[:4]} {code[4:]} ",
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),  # full-width, as a Chinese keyboard types it
    ],
)
def test_the_code_follows_its_case_as_residents_type_it(client, case, typed):
    assert found(track(client, case.number.lower(), typed(case.track_code)), case)


def test_a_code_works_only_for_its_own_case(client, case):
    other = workflow.register_case(
        case=Case(village=case.village, team=case.team, raised_on=case.raised_on, title="路灯不亮")
    )
    assert NOT_FOUND in page(track(client, other.number, case.track_code))
    assert NOT_FOUND in page(track(client, case.number, other.track_code))
    assert found(track(client, other.number, other.track_code), other)


def test_a_case_without_a_phone_can_be_followed_with_its_code(client, case):
    Case.objects.filter(pk=case.pk).update(resident_phone="")
    assert NOT_FOUND in page(track(client, case.number, "0000"))
    assert found(track(client, case.number, case.track_code), case)


def test_a_case_without_a_code_never_matches_a_code(client, db):
    old = CaseFactory(track_code="")
    assert NOT_FOUND in page(track(client, old.number, "ABCDEFGH"))


def test_the_code_is_never_on_a_public_page(client, case):
    pages = [
        page(track(client, case.number, "5678")),
        page(track(client, case.number, case.track_code)),
        page(client.get(reverse("board:village", args=[case.village.code]))),
        page(client.get(reverse("board:print", args=[case.village.code]))),
        page(client.get("/reports/summary.json")),
    ]
    assert found(track(client, case.number, "5678"), case)
    assert [case.track_code in p for p in pages] == [False] * len(pages)


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ("5678", ("last4", "5678")),
        ("５６７８", ("last4", "5678")),
        ("56 78", ("last4", "5678")),
        ("ab2c-d3ef", ("code", "AB2CD3EF")),
        ("ＡＢ２Ｃ　Ｄ３ＥＦ", ("code", "AB2CD3EF")),
        ("AB2CD3E0", None),  # 0 is not in the alphabet
        ("567", None),
        ("13912345678", None),
        ("", None),
    ],
)
def test_normalize_answer(raw, answer):
    normalized = tracking.normalize_answer(raw)
    assert (normalized and (normalized.kind, normalized.value)) == answer


def test_the_form_explains_what_to_type(client, db):
    response = track(client, "SH-2015-0001", "12")
    assert "请填写电话号码的最后4位数字，或登记回执上的8位查询码。" in page(response)
    assert "手机号后四位或查询码" in page(client.get(reverse("track:index")))


# -- The cache holds no address and no number ------------------------------------------------


def test_the_limits_keys_are_hashed(client, case):
    track(client, case.number, "0000", ip="10.9.8.7")
    keys = " ".join(cache._cache.keys())  # locmem, the tests' cache
    assert "track:" in keys
    assert (case.number in keys, "10.9.8.7" in keys) == (False, False)


def test_simultaneous_tries_never_share_a_place():
    cache.clear()
    taken = [tracking.take_slot(tracking.NUMBER, "SH-2015-0001") for _ in range(tracking.NUMBER.tries + 3)]
    assert len(set(taken[: tracking.NUMBER.tries])) == tracking.NUMBER.tries
    assert taken[tracking.NUMBER.tries :] == [None] * 3


# -- Codes are given on registration, import and batch ---------------------------------------


def test_registration_gives_a_code(case):
    assert CODE.fullmatch(Case.objects.get(pk=case.pk).track_code)


def test_a_batch_gives_each_case_its_own_code(case):
    batch = Batch()
    for i in range(50):
        batch.register(Case(village=case.village, team=case.team, raised_on=case.raised_on, title=f"问题{i}"))
    batch.save()
    codes = list(Case.objects.values_list("track_code", flat=True))
    assert (len(codes), len(set(codes)), all(CODE.fullmatch(c) for c in codes)) == (51, 51, True)


def test_the_ledger_import_gives_codes(town, office_user):  # noqa: F811 - the fixture
    import_ledger(read_ledger(io.BytesIO(ledger_file(8)), filename="台账.xlsx"), by=office_user)
    codes = list(Case.objects.values_list("track_code", flat=True))
    assert (len(codes), len(set(codes)), all(CODE.fullmatch(c) for c in codes)) == (8, 8, True)


def test_the_admins_import_gives_codes(town):  # noqa: F811 - the fixture
    result = CaseResource().import_data(resource_rows(6))
    assert not result.has_errors() and not result.has_validation_errors()
    codes = list(Case.objects.values_list("track_code", flat=True))
    assert (len(codes), len(set(codes)), all(CODE.fullmatch(c) for c in codes)) == (6, 6, True)


def test_fill_track_codes_gives_the_old_cases_codes_once(case):
    old = CaseFactory.create_batch(3, track_code="")
    call_command("fill_track_codes", stdout=io.StringIO())
    codes = dict(Case.objects.values_list("pk", "track_code"))
    assert codes[case.pk] == case.track_code  # a code is never changed
    assert (len(set(codes.values())), all(CODE.fullmatch(c) for c in codes.values())) == (4, True)
    out = io.StringIO()
    call_command("fill_track_codes", stdout=out)
    assert (dict(Case.objects.values_list("pk", "track_code")), "0 cases" in out.getvalue()) == (codes, True)
    assert {c.pk for c in old} <= set(codes)


def test_give_track_codes_keeps_codes_apart_and_existing_ones_unchanged():
    cases = [Case(track_code="ABCDEFGH"), *(Case() for _ in range(2000))]
    numbering.give_track_codes(cases)
    codes = [c.track_code for c in cases]
    assert (codes[0], len(set(codes)), all(CODE.fullmatch(c) for c in codes)) == ("ABCDEFGH", 2001, True)


# -- Staff see the code ----------------------------------------------------------------------


def test_the_cadre_sees_the_code_under_the_number_just_saved(cadre_client, team):
    from teams.tests.factories import VisitFactory
    from teams.tests.test_visits import DAY, problem_data

    visit = VisitFactory(team=team, date=DAY)
    saved = cadre_client.post(f"/visits/{visit.pk}/problems/", problem_data())
    case = Case.objects.get()
    text = page(cadre_client.get(saved["Location"]))
    assert f'<p class="tracking-number">{case.number}</p>' in text
    assert f'<code class="tracking-code">{case.track_code}</code>' in text


def test_the_case_page_shows_the_code_to_staff(office_client, case):
    text = page(office_client.get(reverse("cases:detail", args=[case.number])))
    assert '<code class="track-code"' in text and f">{case.track_code}</code>" in text


# -- An IPv6 client counts by its /64 ----------------------------------------------------------


def test_an_ipv6_client_cannot_rotate_through_its_64_to_escape_the_address_limit(client, case):
    """A subscriber holds a whole /64: a fresh address per try must not mean a fresh limit."""
    for n in range(tracking.ADDRESS.tries):
        assert NOT_FOUND in page(track(client, f"SH-2015-{n + 100:04d}", "1234", ip=f"2001:db8:1:2::{n + 1:x}"))

    blocked = track(client, "SH-2015-0100", "4321", ip="2001:db8:1:2:ffff::9")

    assert (blocked.status_code, ADDRESS_LOCK in page(blocked)) == (429, True)
    # Another /64 is another subscriber.
    assert NOT_FOUND in page(track(client, "SH-2015-0100", "4321", ip="2001:db8:1:3::1"))


def test_an_ipv6_client_cannot_rotate_through_its_64_to_escape_the_code_ceiling(client, case):
    for n in range(tracking.CODE_ADDRESS.tries):
        assert NOT_FOUND in page(track(client, case.number, "ABCDEFGH", ip=f"2001:db8:1:2::{n + 1:x}"))

    locked = track(client, case.number, case.track_code, ip="2001:db8:1:2::ffff")

    assert (locked.status_code, CODES_LOCK in page(locked)) == (429, True)


def test_an_ipv4_mapped_address_counts_as_its_ipv4(client, case):
    for n in range(tracking.ADDRESS.tries):
        track(client, f"SH-2015-{n + 100:04d}", "1234", ip="10.0.0.7")

    blocked = track(client, "SH-2015-0100", "4321", ip="::ffff:10.0.0.7")

    assert (blocked.status_code, ADDRESS_LOCK in page(blocked)) == (429, True)
