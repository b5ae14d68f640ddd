"""Generate N plausible cases on top of load_demo, in bulk: data for benchmarks and load tests.

The cases spread over the villages (by household count), their teams, the report's sub-items,
kinds and channels, from settings.PROGRAMME_START to today. Each one lives the life the workflow
gives it: solved on the spot, or triaged by the monthly meeting (handle now / a plan / explained
under policy), progress entries, closed with a date, a result and the way it was closed, the
resident told and how satisfied they were; the most recent are still registered or in progress,
and some are overdue. Everything is generated and marked so (Case.generated).

Fast: a first pass draws every case's day, village and channel and sorts them, so that the tracking
numbers follow the dates; the numbers of each year are taken from NumberSequence in one block
(later register_case calls continue after them); the rows are then written in batches, one
transaction each: PostgreSQL's COPY, or bulk_create elsewhere. The same seed, the same database
and the same --end give the same cases.

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
from django.db import connection, models, transaction
from django.utils import timezone

from cases.deadlines import is_workday, working_day_limit
from cases.management.commands.load_demo import DATA, GENERATED_TOWNS, DemoLoader
from cases.models import Case, CaseEvent, Category, Feedback, NumberSequence, SubCategory
from teams.models import Cadre, Team, Visit
from villages.models import Town, Village

# The county's towns that --towns adds when the database has fewer (names, codes, village names).
COUNTY_TOWNS = DATA.parent / "county_towns.json"
TZ = datetime.timezone(datetime.timedelta(hours=8))
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
class TeamInfo:
    id: int | None
    leader: tuple[int, str] | None  # (cadre id, name)
    members: list[tuple[int, str]] = field(default_factory=list)
    author: int | None = None  # a user of the team, else the office user


@dataclass
class Drafts:
    """One batch: case rows (column order of CASE_COLUMNS) and the rest of each case's life."""

    cases: list[list] = field(default_factory=list)
    lives: list[tuple] = field(default_factory=list)  # (events, feedback) without the case id


CASE_COLUMNS = [
    "number",
    "town_id",
    "village_id",
    "team_id",
    "visit_id",
    "raised_on",
    "channel",
    "kind",
    "resident_name",
    "resident_phone",
    "resident_address",
    "category_id",
    "subcategory_id",
    "title",
    "description",
    "public_posting",
    "status",
    "closure",
    "decision",
    "responsible_id",
    "due_on",
    "plan",
    "planned_on",
    "policy_basis",
    "explaining_department",
    "closed_on",
    "result",
    "fed_back_on",
    "version",
    "created_at",
    "updated_at",
    "created_by_id",
    "generated",
]
EVENT_COLUMNS = ["case_id", "kind", "at", "author_id", "text", "data", "status_from", "status_to", "public"]
FEEDBACK_COLUMNS = [
    "case_id",
    "town_id",
    "given_on",
    "channel",
    "given_by_id",
    "satisfaction",
    "notes",
    "recorded_by_id",
]


class Command(BaseCommand):
    help = (
        "Generates N plausible cases (with their history and feedback) on top of load_demo, spread over "
        "villages, teams, categories, kinds and dates from PROGRAMME_START to today; in bulk (COPY on "
        "PostgreSQL), numbered in blocks from NumberSequence, the same for the same --seed."
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
        parser.add_argument("--no-copy", action="store_true", help="use bulk_create even on PostgreSQL")

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
        writer = CopyWriter(start, end) if use_copy else BulkWriter()
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
                f"{'COPY' if use_copy else 'bulk_create'}, seed {seed}){where}"
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
                    drafts = generator.make_cases(batch, serials)
                    phases["making rows"] += clock() - started
                    totals += writer.write(drafts)
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
            drafts = generator.make_cases(batch, serials)
            phases["making rows"] += clock() - started
            with transaction.atomic():
                totals += writer.write(drafts)
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
        self.villages = [(v.pk, v.short_name) for v in villages]
        self.village_table = weighted([(i, v.households or 500) for i, v in enumerate(villages)])
        # The town's office writes what no team member did (Sanhe's demo office where a town has none).
        town_office = User.objects.filter(cadre__town=self.town, groups__name="office").order_by("pk")
        office = town_office.values_list("pk", flat=True).first()
        office = office or User.objects.filter(username="office").values_list("pk", flat=True).first()
        members: dict[int, list[tuple[int, str]]] = {}
        users: dict[int, int] = {}
        for cadre in Cadre.objects.filter(team__town=self.town).order_by("pk"):
            members.setdefault(cadre.team_id, []).append((cadre.pk, cadre.name))
            if cadre.user_id:
                users.setdefault(cadre.team_id, cadre.user_id)
        self.teams = []
        for village in villages:
            team = teams.get(village.pk)
            if team is None:
                self.teams.append(TeamInfo(id=None, leader=None, author=office))
                continue
            crew = members.get(team.pk, [])
            leader = next((m for m in crew if m[0] == team.leader_id), crew[0] if crew else None)
            self.teams.append(TeamInfo(id=team.pk, leader=leader, members=crew, author=users.get(team.pk, office)))
        self.office = office
        self.cadre_names = set(Cadre.objects.values_list("name", flat=True))
        # Visits by (team, Monday of the week): the day each team was in its village that week.
        self.visits: dict[tuple[int, int], tuple[int, int]] = {}
        visits = Visit.objects.filter(team__town=self.town, date__range=(self.start, self.end)).order_by("date", "pk")
        for pk, team_id, day in visits.values_list("pk", "team", "date"):
            self.visits.setdefault((team_id, day.toordinal() - day.weekday()), (pk, day.toordinal()))
        self.weeks = sorted({monday for (_team, monday) in self.visits})
        # Sub-items weighted by the report's counts; "no category" as the report's share.
        by_code = {sub["code"]: sub for cat in self.data["categories"] for sub in cat["subcategories"]}
        classified = [(s, by_code.get(s.code, {}).get("count", 1)) for s in subcategories]
        total = sum(weight for _s, weight in classified)
        pairs = [
            ((s.category_id, s.pk, s.code, tuple(by_code.get(s.code, {}).get("titles") or [s.label])), w)
            for s, w in classified
        ]
        pairs.append(
            (
                (None, None, "", tuple(self.data["unclassified"]["titles"])),
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
            team = self.teams[village].id
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

    def make_cases(self, keys: list[int], serials: dict[int, int]) -> Drafts:
        rng, data, results = self.rng, self.data, self.results
        r = rng.random  # int(r() * n) for randrange(n): several times faster, as random
        surnames, given_names, suffixes = data["surnames"], data["given_names"], data["hamlet_suffixes"]
        nv, nc, end, office = len(self.villages), len(CHANNELS), self.end.toordinal(), self.office
        drafts = Drafts()
        for key in keys:
            rest, channel_index = divmod(key, nc)
            day, village_index = divmod(rest, nv)
            channel = CHANNELS[channel_index][0]
            raised = datetime.date.fromordinal(day)
            serial = serials[raised.year]
            serials[raised.year] = serial + 1
            team = self.teams[village_index]
            village_id, village_name = self.villages[village_index]
            visit_id = None
            if channel in VISIT_CHANNELS:
                visit = self.visits.get((team.id, day - raised.weekday()))
                if visit and visit[1] == day:
                    visit_id = visit[0]
            kind = pick(rng, self.kinds)
            category_id, subcategory_id, code, titles = pick(rng, self.subcategories)
            title = titles[int(r() * len(titles))]
            resident = surnames[int(r() * len(surnames))] + given_names[int(r() * len(given_names))]
            if resident in self.cadre_names:  # a board names the cadre: no resident may share the name
                resident += "妹" if r() < 0.5 else "仔"
            phone = f"1{'3578'[int(r() * 4)]}{100_000_000 + int(r() * 900_000_000)}"
            address = f"{village_name}{surnames[int(r() * len(surnames))]}{suffixes[int(r() * len(suffixes))]}"
            address += f"{1 + int(r() * 59)}号"
            # Hardship applications (低保) are often kept off the board.
            public_posting = rng.random() >= (0.5 if code == "0101" else 0.05)
            if channel in VISIT_CHANNELS:
                registered_at = day * 1440 + 9 * 60 + int(r() * 180)  # Thursday morning
            else:
                registered_at = day * 1440 + 8 * 60 + 30 + int(r() * 540)
            author = team.author
            # Each line as the workflow writes it: the system's part a code (cases/history.py renders
            # it in the reader's language), the text only what a person would have typed.
            registered = {"code": "registered", "channel": channel}
            events = [("registered", registered_at, author, "", registered, "", "registered", True)]
            status, closure, decision, responsible, due, plan, planned = "registered", "", "", None, None, "", None
            policy, department, closed, result, fed_back, feedback, version = "", "", None, "", None, None, 1

            if kind != "complaint" and rng.random() < ON_THE_SPOT_SHARE:
                status, closure, closed = "closed", "on_the_spot", day
                result = results["on_the_spot"][int(r() * len(results["on_the_spot"]))]
                at = registered_at + 10 + int(r() * 50)
                closed_data = {"code": "closed", "closure": closure}
                events.append(("closed", at, author, result, closed_data, "registered", "closed", True))
                version += 1
            else:
                triaged = day + int(r() * 8)  # decided within the week
                if triaged <= end:
                    decision = pick(rng, self.decisions)
                    crew = team.members or ([team.leader] if team.leader else [])
                    person = (
                        (team.leader if team.leader and rng.random() < 0.4 else crew[int(r() * len(crew))])
                        if crew
                        else None
                    )
                    responsible = person[0] if person else None
                    limit = self.due(triaged, kind)
                    triage = {"code": "triaged", "decision": decision}
                    if person:
                        triage["responsible"] = person[1]
                    if decision == "plan":
                        planned = triaged + 30 + int(r() * 336)
                        due = planned
                        plan = PLANS[int(r() * len(PLANS))]
                        handling = (planned - triaged) * (0.5 + rng.random() * 0.7)
                    else:
                        due = limit
                        span = max(1, limit - triaged)
                        on_time = rng.random() < 0.8
                        handling = span * (0.2 + 0.8 * rng.random() if on_time else 1 + 3 * rng.random())
                        if decision == "explain":
                            policy, department = POLICY[int(r() * len(POLICY))]
                    triage["due_on"] = datetime.date.fromordinal(due).isoformat()
                    if decision == "plan":
                        triage["planned_on"] = datetime.date.fromordinal(planned).isoformat()
                    if department:
                        triage["department"] = department
                    triaged_at = triaged * 1440 + 15 * 60 + int(r() * 120)
                    events.append(("triaged", triaged_at, office, "", triage, "registered", "in_progress", True))
                    status, version = "in_progress", version + 1
                    closes = None if rng.random() < STUCK_SHARE else triaged + int(handling)
                    until = min(end, closes if closes is not None else end)
                    steps = sorted(
                        (triaged + int(r() * (until - triaged + 1))) for _ in range(pick(rng, self.progress_counts))
                    )
                    for step in steps:
                        text = PROGRESS_TEXTS[int(r() * len(PROGRESS_TEXTS))]
                        at = max(triaged_at + 30, step * 1440 + 10 * 60 + int(r() * 300))
                        events.append(("progress", at, author, text, PROGRESS, "", "", rng.random() < 0.6))
                    if closes is not None and closes <= end:
                        closure = "explained" if decision == "explain" else "solved"
                        status, closed = "closed", closes
                        result = results[closure][int(r() * len(results[closure]))]
                        at = max(events[-1][1] + 30, closes * 1440 + 16 * 60 + int(r() * 90))
                        closed_data = {"code": "closed", "closure": closure}
                        events.append(("closed", at, office, result, closed_data, "in_progress", "closed", True))
                        version += 1

            if status == "closed" and rng.random() < FED_BACK_SHARE:
                given = closed + int(r() * 8)
                if given <= end:
                    fb_channel = pick(rng, self.feedback_channels)
                    satisfaction = pick(rng, self.satisfaction)
                    giver = responsible or (team.leader[0] if team.leader else None)
                    giver_name = person[1] if responsible else (team.leader[1] if team.leader else "")
                    feedback = (given, fb_channel, giver, satisfaction, "已告知办理结果", office)
                    fed_back, version = given, version + 1
                    told = {"code": "feedback", "channel": fb_channel, "satisfaction": satisfaction or ""}
                    if giver is not None:
                        told["given_by"] = giver_name
                    at = max(events[-1][1] + 30, given * 1440 + 10 * 60 + 30)
                    events.append(("feedback", at, office, "已告知办理结果", told, "", "", False))

            drafts.cases.append(
                [
                    f"{self.prefix}-{raised.year}-{serial:04d}",
                    self.town.pk,
                    village_id,
                    team.id,
                    visit_id,
                    day,
                    channel,
                    kind,
                    resident,
                    phone,
                    address,
                    category_id,
                    subcategory_id,
                    title,
                    title + GENERATED_NOTE,
                    public_posting,
                    status,
                    closure,
                    decision,
                    responsible,
                    due,
                    plan,
                    planned,
                    policy,
                    department,
                    closed,
                    result,
                    fed_back,
                    version,
                    registered_at,
                    max(event[1] for event in events),
                    author,
                    True,
                ]
            )
            drafts.lives.append((events, feedback))
        return drafts


# -- Writing ---------------------------------------------------------------------------------
# Values as make_cases gives them: s text, i whole number or None, d day ordinal, t minute
# ordinal (day × 1440 + minute, Beijing time), b yes/no, j a dict stored as JSON.
CASE_TYPES = "siiiidsssssiissbsssidsdssdsdittib"
EVENT_TYPES = "istisjssb"
FEEDBACK_TYPES = "iidsissi"


def extra_columns(model, columns: list[str]) -> list[tuple[str, object]]:
    """Columns of MODEL that make_cases does not fill (added since it was written), with their defaults."""
    return [
        # JSON as COPY reads it (the field's own database value is an adapter that writes SQL).
        (
            f.column,
            json.dumps(f.get_default())
            if isinstance(f, models.JSONField)
            else f.get_db_prep_save(f.get_default(), connection),
        )
        for f in model._meta.concrete_fields
        if not f.primary_key and f.column not in columns
    ]


def dumps(data: dict) -> str:
    """DATA as COPY reads a JSON column: the JSON text itself (escaped for COPY by the caller)."""
    return json.dumps(data, ensure_ascii=False)


class CopyWriter:
    """PostgreSQL: COPY … FROM STDIN, three tables per batch, in one transaction.

    Row by row, the foreign-key checks cost more than the rows: PostgreSQL's advice for loading
    is to drop the foreign keys and add them back, which checks every row at once with a join.
    begin() drops them and finish() adds them back in the same transaction, so another session
    never sees the tables without them (it waits: run the generator before serving).
    While the database takes in one batch, a thread of ours sends it and Python makes the next.
    """

    ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

    def __init__(self, start: datetime.date, end: datetime.date):
        # Every day a case can name (due and planned dates run past the end), and None.
        first, last = start.toordinal() - 1, end.toordinal() + 800
        self.days = {day: datetime.date.fromordinal(day).isoformat() for day in range(first, last)}
        self.days[None] = "\\N"
        self.tables = {}
        for model, columns in ((Case, CASE_COLUMNS), (CaseEvent, EVENT_COLUMNS), (Feedback, FEEDBACK_COLUMNS)):
            extra = extra_columns(model, columns)
            names = (["id"] if model is Case else []) + columns + [column for column, _value in extra]
            sql = f"COPY {model._meta.db_table} ({', '.join(connection.ops.quote_name(n) for n in names)}) FROM STDIN"
            suffix = "".join("\t" + self.text(value) for _column, value in extra) + "\n"
            self.tables[model] = (sql, suffix)
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.indexes: list[tuple[str, str]] = []

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
            self.ids = [row[0] for row in cursor.fetchall()]
        self.used = 0
        self.sender = Sender(connection.connection)

    def write(self, drafts: Drafts) -> Counter:
        ids = self.ids[self.used : self.used + len(drafts.cases)]
        self.used += len(ids)
        cases, events, feedback = self.encode(ids, drafts)
        sql = [self.tables[model][0] for model in (Case, CaseEvent, Feedback)]
        self.sender.put([(sql[0], cases[0]), (sql[1], events[0]), (sql[2], feedback[0])])
        return Counter(cases=cases[1], events=events[1], feedback=feedback[1])

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

    def text(self, value) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value).translate(self.ESCAPES)

    def minute(self, value: int | None) -> str:
        if value is None:
            return "\\N"
        day, minute = divmod(value, 1440)
        return f"{self.days[day]} {minute // 60:02d}:{minute % 60:02d}:00+08"

    def encode(self, ids: list[int], drafts: Drafts):
        """COPY text for the three tables, each with its row count. Written out by hand, column by
        column (the order of CASE_COLUMNS, EVENT_COLUMNS, FEEDBACK_COLUMNS): it runs for millions
        of rows. Free text is escaped; codes (status, kind…) and numbers need not be."""
        N, day, minute, esc = "\\N", self.days, self.minute, self.ESCAPES
        case_end, event_end, feedback_end = (self.tables[m][1] for m in (Case, CaseEvent, Feedback))
        cases, events, feedback = [], [], []
        for pk, row, (lives, fed) in zip(ids, drafts.cases, drafts.lives, strict=True):
            (number, town, village, team, visit, raised, channel, kind, resident, phone, address, category, subcategory,
             title, description, public, status, closure, decision, responsible, due, plan, planned, policy,
             department, closed, result, fed_back, version, created, updated, created_by, generated) = row  # fmt: skip
            cases.append(
                f"{pk}\t{number.translate(esc)}\t{town}\t{village}\t{N if team is None else team}\t"
                f"{N if visit is None else visit}\t{day[raised]}\t{channel}\t{kind}\t{resident.translate(esc)}\t"
                f"{phone.translate(esc)}\t{address.translate(esc)}\t{N if category is None else category}\t"
                f"{N if subcategory is None else subcategory}\t{title.translate(esc)}\t"
                f"{description.translate(esc)}\t{'t' if public else 'f'}\t{status}\t{closure}\t{decision}\t"
                f"{N if responsible is None else responsible}\t{day[due]}\t{plan.translate(esc)}\t{day[planned]}\t"
                f"{policy.translate(esc)}\t{department.translate(esc)}\t{day[closed]}\t{result.translate(esc)}\t"
                f"{day[fed_back]}\t{version}\t{minute(created)}\t{minute(updated)}\t"
                f"{N if created_by is None else created_by}\t{'t' if generated else 'f'}{case_end}"
            )
            for kind, at, author, text, data, status_from, status_to, public in lives:
                events.append(
                    f"{pk}\t{kind}\t{minute(at)}\t{N if author is None else author}\t{text.translate(esc)}\t"
                    f"{dumps(data).translate(esc)}\t{status_from}\t{status_to}\t{'t' if public else 'f'}{event_end}"
                )
            if fed:
                given, channel, given_by, satisfaction, notes, recorded_by = fed
                feedback.append(
                    f"{pk}\t{town}\t{day[given]}\t{channel}\t{N if given_by is None else given_by}\t{satisfaction}\t"
                    f"{notes.translate(esc)}\t{N if recorded_by is None else recorded_by}{feedback_end}"
                )
        return [("".join(rows), len(rows)) for rows in (cases, events, feedback)]


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


class BulkWriter:
    """Any database: bulk_create (created_at and updated_at are then the time of writing)."""

    def __init__(self):
        self.converters = {
            "s": lambda v: v,
            "i": lambda v: v,
            "b": lambda v: v,
            "j": lambda v: v,
            "d": lambda v: None if v is None else datetime.date.fromordinal(v),
            "t": lambda v: (
                None
                if v is None
                else datetime.datetime.combine(
                    datetime.date.fromordinal(v // 1440), datetime.time(v % 1440 // 60, v % 60), TZ
                )
            ),
        }

    def objects(self, model, columns, types, rows):
        converters = [self.converters[code] for code in types]
        return [model(**{c: f(v) for c, f, v in zip(columns, converters, row, strict=True)}) for row in rows]

    def write(self, drafts: Drafts) -> Counter:
        cases = Case.objects.bulk_create(self.objects(Case, CASE_COLUMNS, CASE_TYPES, drafts.cases))
        events = [(case.pk, *event) for case, (lives, _f) in zip(cases, drafts.lives, strict=True) for event in lives]
        feedback = [(case.pk, case.town_id, *f) for case, (_e, f) in zip(cases, drafts.lives, strict=True) if f]
        CaseEvent.objects.bulk_create(self.objects(CaseEvent, EVENT_COLUMNS, EVENT_TYPES, events))
        Feedback.objects.bulk_create(self.objects(Feedback, FEEDBACK_COLUMNS, FEEDBACK_TYPES, feedback))
        return Counter(cases=len(cases), events=len(events), feedback=len(feedback))


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


assert len(CASE_TYPES) == len(CASE_COLUMNS) and len(EVENT_TYPES) == len(EVENT_COLUMNS)
assert len(FEEDBACK_TYPES) == len(FEEDBACK_COLUMNS)
