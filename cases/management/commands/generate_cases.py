"""Generate N plausible cases on top of load_demo, in bulk: data for benchmarks and load tests.

The cases spread over the villages (by household count), their teams, the report's sub-items,
kinds and channels, from settings.PROGRAMME_START to today. Each one lives the life the workflow
gives it, and through the workflow's own steps (cases.batch: registration, the monthly meeting's
decision, progress, closing, feedback — each checked by the rules that check a case entered by
hand, each writing its line of history as they do): solved on the spot, or decided on (handle now /
a plan / explained under policy), progress entries, closed with a date, a result and the way it was
closed, the resident told and how satisfied they were; the most recent are still registered or in
progress, and some are overdue. Everything is generated and marked so (Case.generated).

Fast enough for millions: a first pass draws every case's day, village and channel and sorts them,
so that the tracking numbers follow the dates; the numbers of each year are taken from
NumberSequence in one block (later register_case calls continue after them); the cases are then
made and written in batches: on PostgreSQL one COPY stream in one transaction, sent by a thread
while the next batch is made (making them asks the database nothing); elsewhere each batch as an
import writes it. The same seed, the same database and the same --end give the same cases.

A county: --towns N spreads the cases over N towns, each numbered on its own (SH-…, DJ-…); the towns
the database lacks are made first from cases/demo/county_towns.json, marked generated.
"""

import bisect
import datetime
import io
import json
import queue
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from cases.batch import Batch
from cases.deadlines import is_workday, working_day_limit
from cases.inserts import build, copy_rows
from cases.management.commands.load_demo import DATA, GENERATED_TOWNS, DemoLoader
from cases.models import Case, CaseEvent, Category, Feedback, NumberSequence, SubCategory
from cases.numbering import format_number
from cases.privacy import public_names
from teams.models import Cadre, Team, Visit
from villages.models import Town, Village

# The county's towns that --towns adds when the database has fewer (names, codes, village names).
COUNTY_TOWNS = DATA.parent / "county_towns.json"
TZ = datetime.timezone(datetime.timedelta(hours=8))
EPOCH = datetime.datetime(1, 1, 1, tzinfo=TZ)  # day ordinal 1, minute 0 (see moment)
THURSDAY = 3

# (value, weight): how cases spread over the choices.
CHANNELS = [("household", 60), ("briefing", 10), ("phone", 15), ("overseas", 5), ("other", 10)]
VISIT_CHANNELS = {"household", "briefing"}  # raised during a team's stationed visit
KINDS = [("help", 50), ("enquiry", 20), ("suggestion", 15), ("complaint", 15)]
DECISIONS = [("handle_now", 75), ("plan", 12), ("explain", 13)]
FEEDBACK_CHANNELS = [("in_person", 40), ("phone", 45), ("notice_board", 15)]
SATISFACTION = [("satisfied", 70), ("basically", 20), ("unsatisfied", 7), ("", 3)]
PROGRESS_COUNTS = [(0, 35), (1, 35), (2, 20), (3, 10)]
UNCLASSIFIED_SHARE = 0.03  # the report: 4 of 142 in no category
ON_THE_SPOT_SHARE = 0.12  # solved at registration
STUCK_SHARE = 0.03  # never closed: long overdue
FED_BACK_SHARE = 0.92  # of closed cases

PROGRESS_TEXTS = [
    "已联系相关职能部门，正在协调办理",
    "驻点干部已到现场查看情况",
    "已与村两委商定处理办法",
    "已上报镇党政办，等待答复",
    "施工队已进场，正在施工",
    "已落实资金，准备实施",
    "已电话告知群众当前进度",
]
PLANS = ["分期实施：先勘察设计，再申请资金施工。", "纳入下一年度村级建设计划，分步落实。"]
POLICY = [("《广东省最低生活保障制度实施办法》", "镇民政办"), ("《台山市农村危房改造实施方案》", "镇建设办")]
POLICY += [("《农田水利设施建设管理办法》", "镇农业办")]
GENERATED_NOTE = "（生成数据：按报告所列类别随机生成）"
PROGRESS = {"code": "progress"}  # the progress line's data: all of it typed (cases/history.py)


def weighted(pairs):
    values = [value for value, _weight in pairs]
    cumulative, total = [], 0
    for _value, weight in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative, total


def pick(rng: random.Random, table):
    values, cumulative, total = table
    return values[bisect.bisect_right(cumulative, rng.random() * total)]


@dataclass
class Crew:
    """A village's team as the generator needs it: the team (None where the village has none), its
    leader and members, and the user who writes down what the team does (else the town's office)."""

    team: Team | None
    leader: Cadre | None
    members: list[Cadre] = field(default_factory=list)
    author: User | None = None


def moment(minutes: int) -> datetime.datetime:
    """A minute ordinal (day ordinal × 1440 + minute of the day, Beijing time) as a datetime."""
    return EPOCH + datetime.timedelta(minutes=minutes - 1440)


class Command(BaseCommand):
    help = (
        "Generates N plausible cases (with their history and feedback) on top of load_demo, spread over "
        "villages, teams, categories, kinds and dates from PROGRAMME_START to today; in bulk (COPY on "
        "PostgreSQL), numbered in blocks from NumberSequence, each case through the workflow's steps "
        "(cases.batch), the same for the same --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many cases to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--batch-size", type=int, default=10000, help="cases per insert (default 10000)")
        parser.add_argument("--end", type=datetime.date.fromisoformat, help="last day (default today)")
        parser.add_argument("--dry-run", action="store_true", help="plan and count, write nothing")
        parser.add_argument("--town", help="the town's short code (default: the county's first town)")
        parser.add_argument(
            "--towns",
            type=int,
            default=1,
            help="spread the cases evenly over the county's first N towns, making the missing ones "
            "(generated: ~10 villages, their teams and cadres, from cases/demo/county_towns.json); default 1",
        )
        parser.add_argument(
            "--no-copy",
            action="store_true",
            help="on PostgreSQL too, write each batch in its own transaction as an import does",
        )

    def handle(
        self,
        *args,
        count: int,
        seed: int,
        batch_size: int,
        end,
        dry_run: bool,
        no_copy: bool,
        town=None,
        towns: int = 1,
        **options,
    ):
        if count < 0 or batch_size < 1 or towns < 1:
            raise CommandError("--count must be 0 or more, --batch-size and --towns 1 or more")
        if town and towns > 1:
            raise CommandError("give --town or --towns, not both")
        today = timezone.localdate()
        end = end or today
        start = settings.PROGRAMME_START
        if not start <= end <= today:
            raise CommandError(f"--end must lie between PROGRAMME_START ({start}) and today ({today})")
        started = time.monotonic()
        # A dry run makes the missing towns too, to plan their cases, and then takes them back.
        with transaction.atomic():
            chosen = county_towns(towns, seed, town)
            jobs = []
            for index, (one, share) in enumerate(zip(chosen, shares(count, len(chosen)), strict=True)):
                # The first town draws from SEED alone: --towns 1 gives the cases it always gave.
                generator = Generator(seed if index == 0 else f"{seed}-{one.code}", start, end, one)
                if not dry_run:
                    generator.ensure_visits()
                generator.load_reference()
                jobs.append((generator, generator.draw_days(share)))
            if dry_run:
                transaction.set_rollback(True)
        per_year = sum((generator.years(keys) for generator, keys in jobs), Counter())
        where = f" in {len(chosen)} towns ({', '.join(t.code for t in chosen)})" if len(chosen) > 1 else ""
        if dry_run:
            years = ", ".join(f"{year}: {n}" for year, n in sorted(per_year.items()))
            self.stdout.write(f"generate_cases: would add {count} cases ({years}){where}; nothing written")
            return
        # Each town's own tracking numbers (SH-2015-0001, DJ-2015-0001…), a block per town and year.
        jobs = [(generator, keys, reserve_numbers(generator.town, generator.years(keys))) for generator, keys in jobs]
        use_copy = connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2" and not no_copy
        writer = CopyWriter() if use_copy else BatchWriter()
        progress = Progress(self.stderr, count)
        totals, phases = write_all(jobs, writer, batch_size, progress)
        if use_copy and count:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE cases_case, cases_caseevent, cases_feedback")
        seconds = time.monotonic() - started
        rate = count / seconds if seconds else 0
        spent = ", ".join(f"{phase} {s:.1f} s" for phase, s in phases.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"generate_cases: added {count} cases, {totals['events']} events, {totals['feedback']} feedback "
                f"in {seconds:.1f} s ({rate:,.0f} cases/s; {spent}; "
                f"{'one COPY' if use_copy else 'batch by batch'}, seed {seed}){where}"
            )
        )


def shares(count: int, parts: int) -> list[int]:
    """COUNT split into PARTS as evenly as whole numbers go, the first parts one more."""
    return [count // parts + (index < count % parts) for index in range(parts)]


def county_towns(count: int, seed: int, code: str | None = None) -> list[Town]:
    """The town of CODE; else the county's first COUNT towns (by division code), the missing ones made
    from cases/demo/county_towns.json: generated, each with its villages, teams, cadres and office."""
    if code:
        towns = list(Town.objects.filter(code=code.upper()))
        if not towns:
            raise CommandError(f"no town {code}: run `python manage.py load_demo` first, or give another --town")
        return towns
    towns = list(Town.objects.order_by("division_code")[:count])
    if not towns:
        raise CommandError("no town: run `python manage.py load_demo` first")
    if len(towns) == count:
        return towns
    spec = json.loads(COUNTY_TOWNS.read_text(encoding="utf-8"))
    given_names = json.loads(GENERATED_TOWNS.read_text(encoding="utf-8"))["cadre_given_names"]
    taken = {field: set(Town.objects.values_list(field, flat=True)) for field in ("code", "name", "division_code")}
    rows = [row for row in spec["towns"] if all(row[field] not in taken[field] for field in taken)]
    if len(towns) + len(rows) < count:
        raise CommandError(f"--towns {count}: the county has at most {len(towns) + len(rows)} towns")
    loader = DemoLoader(json.loads(DATA.read_text(encoding="utf-8")), random.Random(f"towns-{seed}"))
    for row in rows[: count - len(towns)]:
        villages = village_rows(row, spec, loader.rng)
        towns.append(loader.generated_town(row, villages, spec["cadres_per_team"], given_names))
    return towns


def village_rows(town: dict, spec: dict, rng: random.Random) -> list[dict]:
    """A generated town's villages: its seat's community (圩社区), then villages named from the spec's stems."""
    seat = town["name"].removesuffix("镇").removesuffix("街道")
    rows = [{"code": f"{town['division_code']}001", "name": f"{seat}圩居委会", "short_name": f"{seat}圩社区"}]
    rows[0]["kind"] = "community"
    for number, stem in enumerate(rng.sample(spec["village_stems"], spec["villages_per_town"] - 1), start=201):
        rows.append(
            {
                "code": f"{town['division_code']}{number}",
                "name": f"{stem}村委会",
                "short_name": f"{stem}村",
                "kind": "village",
            }
        )
    return rows


def write_all(jobs, writer, batch_size: int, progress):
    """Make and write the cases of each (generator, keys, first serials) of JOBS, batch by batch; the
    totals, and where the time went."""
    totals, phases, clock = Counter(), Counter(), time.monotonic
    batches = [
        (generator, keys[offset : offset + batch_size], serials)
        for generator, keys, serials in jobs
        for offset in range(0, len(keys), batch_size)
    ]
    if isinstance(writer, CopyWriter):
        # One transaction: the foreign keys are checked once at the end, all rows or none.
        with transaction.atomic():
            writer.begin(sum(len(keys) for _generator, keys, _serials in jobs))
            try:
                for generator, batch, serials in batches:
                    started = clock()
                    made = generator.make_cases(batch, serials)
                    phases["making cases"] += clock() - started
                    totals += writer.write(made)
                    progress.update(totals["cases"])
            finally:
                started = clock()
                writer.stop()
                phases["last COPY"] += clock() - started
            progress.done("indexes and foreign keys")
            started = clock()
            writer.finish()
            phases["indexes and foreign keys"] += clock() - started
    else:
        for generator, batch, serials in batches:
            started = clock()
            made = generator.make_cases(batch, serials)
            phases["making cases"] += clock() - started
            with transaction.atomic():
                totals += writer.write(made)
            progress.update(totals["cases"])
        progress.done()
    return totals, phases


def reserve_numbers(town: Town, per_year: Counter) -> dict[int, int]:
    """Take a block of TOWN's tracking numbers for each year from NumberSequence; the first serial of each."""
    first = {}
    with transaction.atomic():
        for year in sorted(per_year):
            NumberSequence.objects.get_or_create(town=town, year=year)
            sequence = NumberSequence.objects.select_for_update().get(town=town, year=year)
            first[year] = sequence.last + 1
            sequence.last += per_year[year]
            sequence.save(update_fields=["last"])
    return first


class Generator:
    def __init__(self, seed: int | str, start: datetime.date, end: datetime.date, town: Town):
        self.rng, self.start, self.end = random.Random(seed), start, end
        # Visits are made only where missing: their own generator keeps the cases the same either way.
        self.visit_rng = random.Random(f"visits-{seed}")
        self.data = json.loads(DATA.read_text(encoding="utf-8"))
        self.kinds = weighted(KINDS)
        self.channels = weighted([(index, weight) for index, (_channel, weight) in enumerate(CHANNELS)])
        self.decisions, self.progress_counts = weighted(DECISIONS), weighted(PROGRESS_COUNTS)
        self.feedback_channels, self.satisfaction = weighted(FEEDBACK_CHANNELS), weighted(SATISFACTION)
        self.due_cache: dict[tuple[int, str], int] = {}
        self.workdays: dict[int, bool] = {}
        self.town, self.prefix = town, town.code

    # -- Reference data ----------------------------------------------------------------------

    def ensure_visits(self):
        """A stationed visit of every team every Thursday from start to end (those that are missing)."""
        teams = list(Team.objects.filter(town=self.town).select_related("village").prefetch_related("subgroups"))
        first = self.start + datetime.timedelta(days=(THURSDAY - self.start.weekday()) % 7)
        thursdays = [first + datetime.timedelta(weeks=w) for w in range((self.end - first).days // 7 + 1)]
        have = {
            (team_id, day.toordinal() - day.weekday()) for team_id, day in Visit.objects.values_list("team", "date")
        }
        new = [
            Visit(
                team=team,
                village=team.village,
                date=day,
                households_visited=self.visit_rng.randrange(15, 60),
                key_people="低保户、五保户、独居老人",
                briefing_notes="与村两委召开碰头会，确定本次走访的主要任务和重点对象。",
                summary="分组入户走访，收集群众意见。",
                generated=True,
            )
            for team in teams
            for day in thursdays
            if (team.pk, day.toordinal() - day.weekday()) not in have
        ]
        with transaction.atomic():
            Visit.objects.bulk_create(new, batch_size=2000)
            subgroups = {team.pk: [s.pk for s in team.subgroups.all()] for team in teams}
            links = [
                Visit.subgroups.through(visit_id=visit.pk, subgroup_id=subgroup)
                for visit in Visit.objects.filter(generated=True, subgroups__isnull=True)
                for subgroup in subgroups[visit.team_id]
            ]
            Visit.subgroups.through.objects.bulk_create(links, batch_size=5000)

    def load_reference(self):
        villages = list(Village.objects.filter(town=self.town).order_by("code"))
        teams = {team.village_id: team for team in Team.objects.filter(town=self.town).order_by("-number")}
        subcategories = SubCategory.objects.filter(category__in=Category.objects.for_town(self.town))
        subcategories = list(subcategories.select_related("category").order_by("category__order", "order"))
        if not villages or not teams or not subcategories:
            raise CommandError("no villages, teams or categories: run `python manage.py load_demo` first")
        for village in villages:
            # The names each village's public text is checked against (cases/privacy.py), read now:
            # nothing may query while the COPY thread holds the connection.
            public_names(build(Case, village=village))
        self.villages = villages
        self.village_table = weighted([(i, v.households or 500) for i, v in enumerate(villages)])
        # The town's office writes what no team member did (Sanhe's demo office where a town has none).
        town_office = User.objects.filter(cadre__town=self.town, groups__name="office").order_by("pk")
        office = town_office.values_list("pk", flat=True).first()
        office = office or User.objects.filter(username="office").values_list("pk", flat=True).first()
        cadres = list(Cadre.objects.filter(team__town=self.town).order_by("pk"))
        users = User.objects.in_bulk([office, *(cadre.user_id for cadre in cadres if cadre.user_id)])
        self.office = users.get(office)
        members: dict[int, list[Cadre]] = {}
        authors: dict[int, User] = {}
        for cadre in cadres:
            members.setdefault(cadre.team_id, []).append(cadre)
            if cadre.user_id:
                authors.setdefault(cadre.team_id, users[cadre.user_id])
        self.crews = []
        for village in villages:
            team = teams.get(village.pk)
            if team is None:
                self.crews.append(Crew(team=None, leader=None, author=self.office))
                continue
            crew = members.get(team.pk, [])
            leader = next((m for m in crew if m.pk == team.leader_id), crew[0] if crew else None)
            self.crews.append(Crew(team, leader, crew, authors.get(team.pk, self.office)))
        self.cadre_names = set(Cadre.objects.values_list("name", flat=True))
        # Visits by (team, Monday of the week): the day each team was in its village that week.
        self.visits: dict[tuple[int, int], tuple[Visit, int]] = {}
        visits = Visit.objects.filter(team__town=self.town, date__range=(self.start, self.end)).order_by("date", "pk")
        for visit in visits.only("date", "team", "village"):
            day = visit.date
            self.visits.setdefault((visit.team_id, day.toordinal() - day.weekday()), (visit, day.toordinal()))
        self.weeks = sorted({monday for (_team, monday) in self.visits})
        # Sub-items weighted by the report's counts; "no category" as the report's share.
        by_code = {sub["code"]: sub for cat in self.data["categories"] for sub in cat["subcategories"]}
        classified = [(s, by_code.get(s.code, {}).get("count", 1)) for s in subcategories]
        total = sum(weight for _s, weight in classified)
        pairs = [((s.category, s, tuple(by_code.get(s.code, {}).get("titles") or [s.label])), w) for s, w in classified]
        pairs.append(
            (
                (None, None, tuple(self.data["unclassified"]["titles"])),
                total * UNCLASSIFIED_SHARE / (1 - UNCLASSIFIED_SHARE),
            )
        )
        self.subcategories = weighted(pairs)
        self.results = self.data["results"]

    # -- Pass 1: days, villages and channels, sorted -------------------------------------------

    @property
    def key_scale(self) -> int:
        return len(self.villages) * len(CHANNELS)

    def draw_days(self, count: int) -> list[int]:
        """COUNT keys (day ordinal, village, channel) packed into ints, sorted by day."""
        rng, channels, nv = self.rng, [c for c, _w in CHANNELS], len(self.villages)
        first, last = self.start.toordinal(), self.end.toordinal()
        keys = []
        for _ in range(count):
            village = pick(rng, self.village_table)
            channel = pick(rng, self.channels)
            team = self.crews[village].team.pk if self.crews[village].team else None
            day = None
            if channels[channel] in VISIT_CHANNELS and self.weeks:
                monday = self.weeks[rng.randrange(len(self.weeks))]
                visit = self.visits.get((team, monday))
                day = visit[1] if visit else None
            if day is None:
                day = rng.randint(first, last)
                if channels[channel] != "overseas" and datetime.date.fromordinal(day).weekday() >= 5:
                    day = max(first, day - datetime.date.fromordinal(day).weekday() + 4)  # the Friday before
            keys.append((day * nv + village) * len(CHANNELS) + channel)
        keys.sort()
        return keys

    def years(self, keys: list[int]) -> Counter:
        """How many of the cases of KEYS each year has (the tracking numbers to take)."""
        return Counter(datetime.date.fromordinal(key // self.key_scale).year for key in keys)

    # -- Pass 2: each case's life ---------------------------------------------------------------

    def due(self, day: int, kind: str) -> int:
        """cases.deadlines.due_date as a day ordinal, with each day's is_workday asked once."""
        key = (day, kind)
        if key not in self.due_cache:
            counted, limit = 0, working_day_limit(kind)
            while counted < limit:
                day += 1
                if day not in self.workdays:
                    self.workdays[day] = is_workday(datetime.date.fromordinal(day))[0]
                counted += self.workdays[day]
            self.due_cache[key] = day
        return self.due_cache[key]

    def make_cases(self, keys: list[int], serials: dict[int, int]) -> Batch:
        """The cases of KEYS, each through the workflow's steps (cases.batch), numbered from SERIALS."""
        batch = Batch()
        batch.towns[self.town.pk] = self.town
        for key in keys:
            self.make_case(batch, key, serials)
        return batch

    def make_case(self, batch: Batch, key: int, serials: dict[int, int]) -> None:
        """One case registered as its key says, then decided on, handled, closed and fed back, each as
        far as its days allow before the end."""
        rng, data = self.rng, self.data
        r = rng.random  # int(r() * n) for randrange(n): several times faster, as random
        surnames, given_names, suffixes = data["surnames"], data["given_names"], data["hamlet_suffixes"]
        rest, channel_index = divmod(key, len(CHANNELS))
        day, village_index = divmod(rest, len(self.villages))
        channel = CHANNELS[channel_index][0]
        raised = datetime.date.fromordinal(day)
        serial = serials[raised.year]
        serials[raised.year] = serial + 1
        crew, village = self.crews[village_index], self.villages[village_index]
        visit = None
        if channel in VISIT_CHANNELS and crew.team is not None:
            found = self.visits.get((crew.team.pk, day - raised.weekday()))
            if found and found[1] == day:
                visit = found[0]
        kind = pick(rng, self.kinds)
        category, subcategory, titles = pick(rng, self.subcategories)
        title = titles[int(r() * len(titles))]
        resident = surnames[int(r() * len(surnames))] + given_names[int(r() * len(given_names))]
        if resident in self.cadre_names:  # a board names the cadre: no resident may share the name
            resident += "妹" if r() < 0.5 else "仔"
        address = f"{village.short_name}{surnames[int(r() * len(surnames))]}{suffixes[int(r() * len(suffixes))]}"
        case = build(
            Case,
            number=format_number(self.town, raised.year, serial),
            village=village,
            team=crew.team,
            visit=visit,
            raised_on=raised,
            channel=channel,
            kind=kind,
            resident_name=resident,
            resident_phone=f"1{'3578'[int(r() * 4)]}{100_000_000 + int(r() * 900_000_000)}",
            resident_address=f"{address}{1 + int(r() * 59)}号",
            category=category,
            subcategory=subcategory,
            title=title,
            description=title + GENERATED_NOTE,
            # A few kept off the board at the resident's wish; registering keeps every sensitive
            # one (低保, health, hardship) off it as well.
            public_posting=r() >= 0.05,
            generated=True,
        )
        if channel in VISIT_CHANNELS:
            registered_at = day * 1440 + 9 * 60 + int(r() * 180)  # Thursday morning
        else:
            registered_at = day * 1440 + 8 * 60 + 30 + int(r() * 540)
        registered = {"code": "registered", "channel": channel}
        batch.register(case, data=registered, at=moment(registered_at), by=crew.author)
        if kind != "complaint" and r() < ON_THE_SPOT_SHARE:
            results = self.results["on_the_spot"]
            last = registered_at + 10 + int(r() * 50)
            closure = "on_the_spot"
            result = results[int(r() * len(results))]
            batch.close(case, closure=closure, result=result, closed_on=raised, at=moment(last), by=crew.author)
        else:
            last = self.handle(batch, case, crew, registered_at)
        if case.status == Case.Status.CLOSED and r() < FED_BACK_SHARE:
            last = self.feed_back(batch, case, crew, last)
        case.created_at, case.updated_at = moment(registered_at), moment(last)

    def handle(self, batch: Batch, case: Case, crew: Crew, registered_at: int) -> int:
        """Decided on within the week, progress reported, closed when its time has come before the
        end (a few never are); the minute of its last step."""
        rng, end = self.rng, self.end.toordinal()
        r = rng.random
        triaged = case.raised_on.toordinal() + int(r() * 8)
        if triaged > end:
            return registered_at
        decision = pick(rng, self.decisions)
        people = crew.members or ([crew.leader] if crew.leader else [])
        person = (crew.leader if crew.leader and r() < 0.4 else people[int(r() * len(people))]) if people else None
        if person is None and decision == Case.Decision.HANDLE_NOW:
            decision = Case.Decision.EXPLAIN  # handling it now needs someone of the team to follow it up
        plan, planned, policy, department = "", None, "", ""
        if decision == Case.Decision.PLAN:
            planned = triaged + 30 + int(r() * 336)
            due = planned
            plan = PLANS[int(r() * len(PLANS))]
            handling = (planned - triaged) * (0.5 + r() * 0.7)
        else:
            due = self.due(triaged, case.kind)
            span = max(1, due - triaged)
            on_time = r() < 0.8
            handling = span * (0.2 + 0.8 * r() if on_time else 1 + 3 * r())
            if decision == Case.Decision.EXPLAIN:
                policy, department = POLICY[int(r() * len(POLICY))]
        last = triaged * 1440 + 15 * 60 + int(r() * 120)
        batch.triage(
            case,
            decision=decision,
            responsible=person,
            due_on=datetime.date.fromordinal(due),
            plan=plan,
            planned_on=planned and datetime.date.fromordinal(planned),
            policy_basis=policy,
            explaining_department=department,
            at=moment(last),
            by=self.office,
        )
        closes = None if r() < STUCK_SHARE else triaged + int(handling)
        until = min(end, closes if closes is not None else end)
        steps = sorted((triaged + int(r() * (until - triaged + 1))) for _ in range(pick(rng, self.progress_counts)))
        triaged_at = last
        for step in steps:
            text = PROGRESS_TEXTS[int(r() * len(PROGRESS_TEXTS))]
            at = max(triaged_at + 30, step * 1440 + 10 * 60 + int(r() * 300))
            batch.add_progress(case, text=text, public=r() < 0.6, data=PROGRESS, at=moment(at), by=crew.author)
            last = max(last, at)
        if closes is not None and closes <= end:
            closure = "explained" if decision == Case.Decision.EXPLAIN else "solved"
            result = self.results[closure][int(r() * len(self.results[closure]))]
            last = max(last + 30, closes * 1440 + 16 * 60 + int(r() * 90))
            closed_on = datetime.date.fromordinal(closes)
            batch.close(case, closure=closure, result=result, closed_on=closed_on, at=moment(last), by=self.office)
        return last

    def feed_back(self, batch: Batch, case: Case, crew: Crew, last: int) -> int:
        """The resident told within the week of the closing (unless that falls after the end), by
        whoever followed the case up; the minute it was recorded."""
        given = case.closed_on.toordinal() + int(self.rng.random() * 8)
        if given > self.end.toordinal():
            return last
        at = max(last + 30, given * 1440 + 10 * 60 + 30)
        batch.record_feedback(
            case,
            given_on=datetime.date.fromordinal(given),
            channel=pick(self.rng, self.feedback_channels),
            given_by=case.responsible or crew.leader,
            satisfaction=pick(self.rng, self.satisfaction),
            notes="已告知办理结果",
            at=moment(at),
            by=self.office,
        )
        return at


# -- Writing ---------------------------------------------------------------------------------


class CopyWriter:
    """PostgreSQL: COPY … FROM STDIN, three tables per batch, in one transaction.

    Row by row, the foreign-key checks cost more than the rows: PostgreSQL's advice for loading
    is to drop the foreign keys and add them back, which checks every row at once with a join.
    begin() drops them and finish() adds them back in the same transaction, so another session
    never sees the tables without them (it waits: run the generator before serving).
    While the database takes in one batch, a thread of ours sends it and Python makes the next.
    """

    def begin(self, count: int):
        tables = [model._meta.db_table for model in (Case, CaseEvent, Feedback)]
        with connection.cursor() as cursor:
            # Rows written earlier in this transaction are checked now: a table with pending
            # checks cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"SELECT count(*) FROM {Case._meta.db_table}")
            # Checking and indexing the whole table at the end pays when the table at least doubles;
            # a few cases added to many are cheaper checked and indexed row by row.
            self.rebuild = count >= cursor.fetchone()[0]
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conrelid, conname",
                [tables],
            )
            self.foreign_keys = cursor.fetchall() if self.rebuild else []
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            # The same for the plain indexes (unique ones stay: they guard the numbers).
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisunique "
                "AND i.indrelid::regclass::text = ANY(%s) ORDER BY c.relname",
                [tables],
            )
            self.indexes = cursor.fetchall() if self.rebuild else []
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            # Every case's id now, so that the sending thread has the connection to itself.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Case._meta.db_table, count],
            )
            self.ids = iter([row[0] for row in cursor.fetchall()])
        self.sender = Sender(connection.connection)

    def write(self, batch: Batch) -> Counter:
        for case in batch.cases:
            case.pk = next(self.ids)
        # The cases carry their own times; their history and feedback take ids from the sequences.
        self.sender.put(
            [
                copy_rows(Case, batch.cases, connection, stamp=False),
                copy_rows(CaseEvent, batch.events, connection, with_ids=False),
                copy_rows(Feedback, batch.feedback, connection, with_ids=False),
            ]
        )
        return Counter(cases=len(batch.cases), events=len(batch.events), feedback=len(batch.feedback))

    def stop(self):
        """Wait until every batch is in; raise what went wrong in the sending thread."""
        self.sender.close()

    def finish(self):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # for building the indexes
            for _name, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares its foreign keys


class Sender:
    """A thread that COPYs encoded batches over the command's own connection (in its transaction),
    while the main thread makes the next batch; at most two batches wait."""

    def __init__(self, raw_connection):
        self.raw, self.error = raw_connection, None
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self.run, name="generate_cases COPY", daemon=True)
        self.thread.start()

    def run(self):
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the main thread stops at its next put
            try:
                with self.raw.cursor() as cursor:
                    for sql, text in batch:
                        cursor.copy_expert(sql, io.StringIO(text))
            except BaseException as error:  # handed to the main thread
                self.error = error

    def put(self, batch):
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def close(self):
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class BatchWriter:
    """Any database: each batch written as an import writes its cases (cases/inserts.py), in its
    own transaction; created_at and updated_at are then the time of writing."""

    def write(self, batch: Batch) -> Counter:
        batch.write()
        return Counter(cases=len(batch.cases), events=len(batch.events), feedback=len(batch.feedback))


class Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, out, total: int):
        self.out, self.total, self.started = out, total, time.monotonic()
        self.tty = out.isatty()
        self.shown = -1

    def line(self, done: int) -> str:
        share = done / self.total if self.total else 1
        filled = int(self.WIDTH * share)
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0
        left = (self.total - done) / rate if rate else 0
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        return f"[{bar}] {share:4.0%} {done}/{self.total} cases, {rate:,.0f}/s, {left:,.0f} s left"

    def update(self, done: int):
        tenth = int(10 * done / self.total) if self.total else 10
        if self.tty:
            self.out.write("\r" + self.line(done), style_func=str, ending="")
        elif tenth > self.shown:
            self.shown = tenth
            self.out.write(self.line(done), style_func=str)

    def done(self, then: str = ""):
        if self.tty:
            self.out.write("", style_func=str)
        if then:
            self.out.write(f"{then}…", style_func=str)
