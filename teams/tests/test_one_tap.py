"""One tap is one case: a creating form's one-time key (the hidden "nonce") is saved with the case or
visit it creates, unique per user in the database, so the same form sent again — a double tap, a
resend, a retry after a timeout, or two taps at the same moment — answers with the first record and
never makes a second. A key sent by someone else is that person's own new form: nothing is revealed."""

import datetime
import threading
import time
from http.cookies import SimpleCookie

import pytest
from django.db import connection, connections, transaction

from cases import workflow
from cases.models import Case, CaseEvent, NumberSequence
from cases.tests.factories import CaseFactory, SubCategoryFactory
from cases.visit_forms import default_visit_date
from teams.models import Visit
from teams.tests.factories import CadreFactory, UserFactory, VisitFactory

DAY = default_visit_date()
KEY = "k" * 32


def number(serial: int) -> str:
    return f"SH-{DAY.year}-{serial:04d}"


def problem_data(**changes) -> dict:
    data = {
        "resident_name": "陈大伯",
        "resident_phone": "13912345678",
        "channel": "household",
        "kind": "help",
        "category_choice": "",
        "title": "村口路灯不亮",
        "public_posting": "on",
        "result": "",
        "nonce": KEY,
    }
    return data | changes


def visit_data(village, **changes) -> dict:
    data = {"date": DAY.isoformat(), "village": village.pk, "households_visited": "23", "nonce": KEY}
    return data | changes


def saved_page(visit, serial: int) -> str:
    return f"/visits/{visit.pk}/?saved={number(serial)}#saved"


@pytest.fixture
def visit(team):
    return VisitFactory(team=team, date=DAY)


@pytest.fixture
def canal(db):
    return SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")


@pytest.fixture
def teammate_client(client_class, team):
    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=team)
    client = client_class()
    client.force_login(user)
    return client


# -- the forms carry a fresh key -----------------------------------------------------------


def test_each_new_form_carries_a_fresh_key_and_the_edit_form_none(cadre_client, visit):
    def keys(path: str) -> list[str]:
        page = cadre_client.get(path).content.decode()
        return [part.split('"', 1)[0] for part in page.split('type="hidden" name="nonce" value="')[1:]]

    problem_keys = keys(f"/visits/{visit.pk}/") + keys(f"/visits/{visit.pk}/")
    visit_keys = keys("/visits/new/") + keys("/visits/new/")

    assert [len(k) for k in problem_keys + visit_keys] == [32, 32, 32, 32]
    assert len(set(problem_keys + visit_keys)) == 4
    assert keys(f"/visits/{visit.pk}/edit/") == []


# -- the same form sent twice, one after the other -----------------------------------------


def test_the_same_problem_form_sent_twice_saves_once_and_answers_the_first_number(cadre_client, cadre_user, visit):
    url = f"/visits/{visit.pk}/problems/"

    first = cadre_client.post(url, problem_data())
    again = cadre_client.post(url, problem_data())

    assert first["Location"] == again["Location"] == saved_page(visit, 1)
    case = Case.objects.get()
    assert (case.number, case.request_key, case.created_by) == (number(1), KEY, cadre_user)
    assert NumberSequence.objects.get(year=DAY.year).last == 1
    page = cadre_client.get(again["Location"]).content.decode()
    assert f'<p class="tracking-number">{number(1)}</p>' in page


def test_a_problem_solved_on_the_spot_sent_twice_is_closed_once(cadre_client, visit):
    data = problem_data(on_the_spot="on", result="当场讲解")
    url = f"/visits/{visit.pk}/problems/"

    answers = [cadre_client.post(url, data)["Location"] for _ in range(2)]

    assert answers == [saved_page(visit, 1)] * 2
    case = Case.objects.get()
    assert sorted(case.events.values_list("kind", flat=True)) == sorted(
        [CaseEvent.Kind.REGISTERED, CaseEvent.Kind.CLOSED]
    )


def test_a_resend_after_the_duplicate_warning_answers_the_first_number(cadre_client, visit, canal):
    # The first tap was warned of a similar open case and confirmed; the page's form sent again
    # (a retry after a timeout) must not warn again of the case it just saved.
    earlier = CaseFactory(team=visit.team, category=canal.category, subcategory=canal, title="东坑水渠崩塌")
    data = problem_data(category_choice=f"{canal.category_id}-{canal.pk}", confirm="1", seen=[str(earlier.pk)])
    url = f"/visits/{visit.pk}/problems/"

    answers = [cadre_client.post(url, data)["Location"] for _ in range(2)]

    assert answers == [saved_page(visit, 1)] * 2
    assert Case.objects.filter(visit=visit).count() == 1


def test_the_key_of_another_visit_answers_with_the_first_cases_own_visit(cadre_client, team, visit):
    elsewhere = VisitFactory(team=team, date=DAY - datetime.timedelta(days=7))
    cadre_client.post(f"/visits/{visit.pk}/problems/", problem_data())

    again = cadre_client.post(f"/visits/{elsewhere.pk}/problems/", problem_data())

    assert again["Location"] == saved_page(visit, 1)
    assert Case.objects.count() == 1


def test_the_same_visit_form_sent_twice_saves_once_and_opens_the_first(cadre_client, cadre_user, team):
    first = cadre_client.post("/visits/new/", visit_data(team.village))
    again = cadre_client.post("/visits/new/", visit_data(team.village))

    visit = Visit.objects.get()
    assert first["Location"] == again["Location"] == f"/visits/{visit.pk}/"
    assert (visit.request_key, visit.created_by) == (KEY, cadre_user)


# -- someone else's key, no key ------------------------------------------------------------


def test_a_key_sent_by_another_user_never_shows_the_first_users_case(cadre_client, teammate_client, visit):
    url = f"/visits/{visit.pk}/problems/"
    cadre_client.post(url, problem_data())

    theirs = teammate_client.post(url, problem_data(title="自来水压力低"))

    assert theirs["Location"] == saved_page(visit, 2)  # their own new case, not number 1
    assert list(Case.objects.order_by("number").values_list("title", flat=True)) == ["村口路灯不亮", "自来水压力低"]


def test_a_visit_key_sent_by_another_user_does_not_open_the_first_users_visit(cadre_client, teammate_client, team):
    cadre_client.post("/visits/new/", visit_data(team.village))

    theirs = teammate_client.post("/visits/new/", visit_data(team.village))

    assert theirs.status_code == 200  # the day's visit exists: the form says so, as without a key
    assert "本团队这一天在该村的驻点已经记录过了。" in theirs.content.decode()
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("key", [None, ""], ids=["no_key", "empty_key"])
def test_a_form_without_a_key_saves_a_case_each_time(cadre_client, visit, key):
    data = problem_data()
    if key is None:
        del data["nonce"]
    else:
        data["nonce"] = key
    url = f"/visits/{visit.pk}/problems/"

    answers = [cadre_client.post(url, data)["Location"] for _ in range(2)]

    assert answers == [saved_page(visit, 1), saved_page(visit, 2)]
    assert list(Case.objects.values_list("request_key", flat=True)) == ["", ""]


# -- the rule, in the workflow -------------------------------------------------------------


def new_case(team) -> Case:
    return Case(village=team.village, team=team, raised_on=DAY, title="路灯")


def test_register_case_with_a_used_key_raises_with_the_first_and_gives_its_number_back(team):
    user = UserFactory()
    first = workflow.register_case(case=new_case(team), by=user, request_key=KEY)

    with pytest.raises(workflow.AlreadyRegistered) as raised:
        workflow.register_case(case=new_case(team), by=user, request_key=KEY)

    assert raised.value.case == first
    assert (Case.objects.count(), NumberSequence.objects.get(year=DAY.year).last) == (1, 1)
    assert workflow.register_case(case=new_case(team), by=UserFactory(), request_key=KEY).number == number(2)


# -- two taps at the same moment (PostgreSQL) ----------------------------------------------


def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two requests in flight at once need PostgreSQL (DATABASE_URL=postgres://…)")


def waiting_on_locks() -> int:
    """Sessions of the test database waiting for a lock, seen now (inside a transaction PostgreSQL
    keeps the first look at pg_stat_activity unless told to drop it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def both_in_flight(hold, post) -> list:
    """POST(i) from two threads released together by a barrier while HOLD (a row lock taken here)
    keeps both inside their transactions: neither has committed when the other writes. HOLD is let
    go once both wait on PostgreSQL; each thread's answer, or the exception it raised."""
    barrier, answers = threading.Barrier(2), [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait()
            answers[i] = post(i)
        except Exception as error:  # the test looks at what each thread got
            answers[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    with transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        give_up = time.monotonic() + 60
        while waiting_on_locks() < 2 and time.monotonic() < give_up:
            time.sleep(0.01)
        assert waiting_on_locks() == 2, "the two requests never both waited inside their transactions"
    for thread in threads:
        thread.join()
    return answers


def one_phone(client_class, user) -> list:
    """Two clients sharing one logged-in session: a phone's browser sending a form twice."""
    first, second = client_class(), client_class()
    first.force_login(user)
    second.cookies = SimpleCookie(first.cookies.output(header="", sep=";"))
    assert second.session.session_key == first.session.session_key
    return [first, second]


@pytest.mark.django_db(transaction=True)
def test_two_taps_at_once_on_the_problem_form_save_one_case(client_class, team):
    postgres_only()
    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=team)
    visit = VisitFactory(team=team, date=DAY)
    NumberSequence.objects.create(town=team.town, year=DAY.year)
    clients = one_phone(client_class, user)

    answers = both_in_flight(
        # Both taps pass every check, then queue for the year's numbers.
        hold=lambda: NumberSequence.objects.select_for_update().get(year=DAY.year),
        post=lambda i: clients[i].post(f"/visits/{visit.pk}/problems/", problem_data()),
    )

    assert [a.status_code if hasattr(a, "status_code") else a for a in answers] == [302, 302]
    assert [a["Location"] for a in answers] == [saved_page(visit, 1)] * 2
    assert list(Case.objects.values_list("number", flat=True)) == [number(1)]
    assert NumberSequence.objects.get(year=DAY.year).last == 1


@pytest.mark.django_db(transaction=True)
def test_two_taps_at_once_on_the_visit_form_save_one_visit(client_class, team):
    postgres_only()
    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=team)
    clients = one_phone(client_class, user)

    answers = both_in_flight(
        # The visit's reference to its team waits on this lock: both rows are being inserted, the
        # second waits on the first's unique keys.
        hold=lambda: type(team).objects.select_for_update().get(pk=team.pk),
        post=lambda i: clients[i].post("/visits/new/", visit_data(team.village)),
    )

    visit = Visit.objects.get()
    assert [a.status_code if hasattr(a, "status_code") else a for a in answers] == [302, 302]
    assert [a["Location"] for a in answers] == [f"/visits/{visit.pk}/"] * 2
