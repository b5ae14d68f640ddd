"""Load the demonstration data set: Sanhe town's ledger as its 2 February 2015 report describes it."""

import datetime
import io
import json
import random
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Case, CaseEvent, Category, Feedback, NumberSequence, SubCategory
from cases.numbering import format_number
from teams.models import Cadre, Helper, Subgroup, Team, Visit
from villages.models import Town, Village

DATA = Path(__file__).resolve().parents[2] / "demo" / "sanhe_2015.json"
# Two more towns, generated, so that the county's view has towns to compare.
GENERATED_TOWNS = Path(__file__).resolve().parents[2] / "demo" / "generated_towns.json"
DEMO_PASSWORD = "sanhe-2015"
TEAM_SIZES = [8, 7, 7, 7, 7, 8, 7, 7, 7, 7]  # 72 cadres, as the report says
SEED = 2015


class Command(BaseCommand):
    help = (
        "Loads the 10 villages, 10 teams of 72 cadres, weekly Thursday visits, the category table, "
        "the helper roster (三官一师 and city cadres, each with their villages) and the 142 cases of the "
        "2015 report, plus the demo logins. Safe to run again: it changes nothing "
        "that is already there. What the report does not say is generated and marked as generated."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what would be loaded, write nothing")
        parser.add_argument(
            "--county",
            action="store_true",
            help="also two generated towns beside Sanhe, for the county's view (what `make run` loads)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="load only into an empty database (what `make run` uses)"
        )

    def handle(self, *args, dry_run: bool = False, if_empty: bool = False, county: bool = False, **options):
        data = json.loads(DATA.read_text(encoding="utf-8"))
        if if_empty and Village.objects.exists():
            self.stdout.write("load_demo: the database already holds data; nothing loaded")
            if User.objects.filter(username="office").exists():
                self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): admin, office, supervisor, cadre")
            return
        with transaction.atomic():
            loader = DemoLoader(data, random.Random(SEED))
            created = loader.load()
            if county:
                created += loader.load_generated_towns(json.loads(GENERATED_TOWNS.read_text(encoding="utf-8")))
            call_command("fill_track_codes", stdout=self.stdout)  # the codes on the residents' slips
            # The report's own (inconsistent) figures, for the reconciliation page.
            call_command("load_stated_report", stdout=self.stdout)
            if dry_run:
                transaction.set_rollback(True)
        for line in loader.log:
            self.stdout.write(line)
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD}): admin, office, supervisor, "
            f"cadre (member of the team stationed in {data['villages'][0]['short_name']}), "
            "county (the county's supervisor)"
            + (", office_dj and office_sb (the generated towns' offices)" if county else "")
        )
        verb = "would load" if dry_run else "loaded"
        self.stdout.write(self.style.SUCCESS(f"load_demo: {verb} {created} new cases"))


class DemoLoader:
    def __init__(self, data: dict, rng: random.Random):
        self.data = data
        self.rng = rng
        self.log: list[str] = []
        self.cadre_names: set[str] | None = None
        self.as_of = datetime.date.fromisoformat(data["as_of"])

    def load(self) -> int:
        self.town = self.load_town()
        villages = self.load_villages()
        self.load_categories()
        teams = self.load_teams(villages)
        self.load_helpers(villages)
        visits = self.load_visits(teams)
        self.load_users(teams)
        return self.load_cases(visits)

    # Reference data: updated in place, so a second run changes nothing.

    def load_town(self) -> Town:
        row = self.data["town"]
        town, _ = Town.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
        self.log.append(f"town: {town.name} ({town.code})")
        return town

    def load_villages(self) -> list[Village]:
        villages = [self.village_of(self.town, row) for row in self.data["villages"]]
        self.log.append(f"villages: {len(villages)}")
        return villages

    def load_categories(self):
        for order, row in enumerate(self.data["categories"], start=1):
            category, _ = Category.objects.update_or_create(
                code=row["code"],
                defaults={"label": row["name"], "order": order, "sensitive": row.get("sensitive", False)},
            )
            for sub_order, sub in enumerate(row["subcategories"], start=1):
                SubCategory.objects.update_or_create(
                    code=sub["code"],
                    defaults={
                        "label": sub["name"],
                        "order": sub_order,
                        "category": category,
                        "sensitive": sub.get("sensitive", False),
                    },
                )
        self.log.append(f"categories: {Category.objects.count()}, sub-categories: {SubCategory.objects.count()}")

    def load_teams(self, villages: list[Village]) -> list[Team]:
        teams = []
        positions = self.data["team_positions"]
        for number, (village, size) in enumerate(zip(villages, TEAM_SIZES, strict=True), start=1):
            team, created = Team.objects.get_or_create(
                town=self.town, number=number, defaults={"name": f"第{number}驻点团队", "village": village}
            )
            teams.append(team)
            if not created:
                continue
            members = [
                Cadre.objects.create(
                    name=self.person_name(),
                    position=positions[number - 1] if i == 0 else "镇干部",
                    phone=self.phone(),
                    team=team,
                    generated=True,
                )
                for i in range(size)
            ]
            team.leader, team.liaison = members[0], members[1]
            team.save(update_fields=["leader", "liaison"])
            groups = 4 if size >= 8 else 3
            for g in range(groups):
                subgroup = Subgroup.objects.create(team=team, name=f"第{g + 1}小组")
                subgroup.members.set(members[g::groups])
        self.log.append(f"teams: {len(teams)}, cadres: {Cadre.objects.filter(team__isnull=False).count()}")
        return teams

    def load_helpers(self, villages: list[Village]):
        """The helper roster a case is referred to (三官一师, city cadres): without it, no referral can
        be made out of the box. A helper already on the roster (same name and kind) is left as it is."""
        by_code = {village.code: village for village in villages}
        for row in self.data["helpers"]:
            helper, created = Helper.objects.get_or_create(
                name=row["name"],
                kind=row["kind"],
                defaults={"organisation": row["organisation"], "phone": row["phone"]},
            )
            if created:
                helper.villages.set([by_code[code] for code in row["villages"]])
        self.log.append(f"helpers: {Helper.objects.filter(active=True).count()}")

    def load_visits(self, teams: list[Team]) -> dict[int, list[Visit]]:
        first = datetime.date.fromisoformat(self.data["first_visit"])
        thursdays = [first + datetime.timedelta(weeks=w) for w in range((self.as_of - first).days // 7 + 1)]
        visits = {}
        for team in teams:
            if not team.visits.exists():
                for day in thursdays:
                    reason = ""
                    if day == datetime.date(2015, 1, 1):
                        # New Year's Day fell on a Thursday: the teams went the day before.
                        day, reason = day - datetime.timedelta(days=1), "元旦放假，改为周三驻点"
                    visit = Visit.objects.create(
                        team=team,
                        village=team.village,
                        date=day,
                        off_day_reason=reason,
                        households_visited=self.rng.randrange(15, 60),
                        key_people="低保户、五保户、独居老人",
                        briefing_notes="与村两委召开碰头会，确定本次走访的主要任务和重点对象。",
                        summary="分组入户走访，收集群众意见。",
                        generated=True,
                    )
                    visit.subgroups.set(team.subgroups.all())
            visits[team.pk] = list(team.visits.order_by("date"))
        self.log.append(f"visits: {Visit.objects.count()}")
        return visits

    def load_users(self, teams: list[Team]):
        admin = self.user("admin", is_staff=True, is_superuser=True)
        for username, position in (("office", "党政办干部"), ("supervisor", "督查工作队队长")):
            user = self.user(username)
            user.groups.set([Group.objects.get_or_create(name=username)[0]])
            Cadre.objects.get_or_create(
                user=user, defaults={"name": self.person_name(), "position": position, "town": self.town}
            )
        cadre_user = self.user("cadre")
        cadre_user.groups.set([Group.objects.get_or_create(name="cadre")[0]])
        if not Cadre.objects.filter(user=cadre_user).exists():
            member = teams[0].members.exclude(pk=teams[0].leader_id).filter(user__isnull=True).first()
            member.user = cadre_user
            member.save(update_fields=["user"])
        Cadre.objects.get_or_create(user=admin, defaults={"name": "系统管理员", "position": "党政办"})
        # The county's supervisor: every town's cases and figures, read only; no town of their own.
        county = self.user("county")
        county.groups.set([Group.objects.get_or_create(name="county_supervisor")[0]])
        # A fixed name: a draw here would change every seeded draw after it (Sanhe's cases).
        Cadre.objects.get_or_create(user=county, defaults={"name": "市督查室", "position": "市督查室"})

    # The generated towns: villages, teams, staff and a few hundred cases each, all marked generated.

    def load_generated_towns(self, spec: dict) -> int:
        """The towns of SPEC (cases/demo/generated_towns.json), each once: a town already there is
        left as it is. Their cases come from generate_cases, as any test data at scale does."""
        added = 0
        as_of = datetime.date.fromisoformat(spec["as_of"])
        for row in spec["towns"]:
            if Town.objects.filter(code=row["code"]).exists():
                continue
            town = self.generated_town(row, row["villages"], spec["cadres_per_team"], spec["cadre_given_names"])
            call_command(
                "generate_cases",
                count=row["cases"],
                seed=row["seed"],
                town=town.code,
                end=as_of,
                no_copy=True,  # a few hundred rows, inside load_demo's transaction
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
            added += row["cases"]
            self.log.append(
                f"town: {town.name} ({town.code}, generated): {len(row['villages'])} villages, {row['cases']} cases"
            )
        return added

    def generated_town(self, row: dict, village_rows: list[dict], cadres_per_team: int, given_names) -> Town:
        """A town of ROW (code, name, division_code, phone) marked generated, with the villages of
        VILLAGE_ROWS, a team of CADRES_PER_TEAM in each, and its office and supervisor (office_<code>,
        supervisor_<code>). generate_cases --towns makes the county's other towns with it too."""
        fields = ("name", "division_code", "phone")
        town = Town.objects.create(code=row["code"], generated=True, **{key: row[key] for key in fields})
        villages = [self.village_of(town, village) for village in village_rows]
        names = self.cadre_names_for(given_names)
        for number, village in enumerate(villages, start=1):
            self.generated_team(town, number, village, cadres_per_team, names)
        for role, position in (("office", "党政办干部"), ("supervisor", "督查工作队队长")):
            user = self.user(f"{role}_{town.code.lower()}")
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            Cadre.objects.create(user=user, name=next(names), position=position, town=town, generated=True)
        return town

    def village_of(self, town: Town, row: dict) -> Village:
        """The village of ROW in TOWN, with generated households and population (none published)."""
        households = self.rng.randrange(300, 1500)
        village, _ = Village.objects.get_or_create(
            code=row["code"],
            defaults={
                "town": town,
                "name": row["name"],
                "short_name": row["short_name"],
                "kind": row["kind"],
                "households": households,
                "population": households * self.rng.randrange(30, 42) // 10,
                "figures_generated": True,
            },
        )
        return village

    def cadre_names_for(self, given_names: list[str]):
        """Endless cadres' names whose given names no resident has (generate_cases draws residents'
        from sanhe_2015.json's given_names): the board names a case's cadre, never its resident."""
        while True:
            yield self.rng.choice(self.data["surnames"]) + self.rng.choice(given_names)

    def generated_team(self, town: Town, number: int, village: Village, size: int, names) -> Team:
        team = Team.objects.create(town=town, number=number, name=f"第{number}驻点团队", village=village)
        members = [
            Cadre.objects.create(name=next(names), position="镇干部", phone=self.phone(), team=team, generated=True)
            for _ in range(size)
        ]
        team.leader, team.liaison = members[0], members[1]
        team.save(update_fields=["leader", "liaison"])
        for g in range(2):
            subgroup = Subgroup.objects.create(team=team, name=f"第{g + 1}小组")
            subgroup.members.set(members[g::2])
        return team

    def user(self, username: str, **flags) -> User:
        user, _ = User.objects.get_or_create(username=username, defaults=flags)
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        return user

    # Cases: written once; a second run finds them and leaves them be.

    def load_cases(self, visits: dict[int, list[Visit]]) -> int:
        if Case.objects.filter(generated=True).exists():
            self.log.append(f"cases: {Case.objects.count()} already there, none added")
            return 0
        items = [
            (category, sub, title_pool)
            for category in self.data["categories"]
            for sub in category["subcategories"]
            for title_pool in [sub["titles"]] * sub["count"]
        ]
        items += [(None, None, self.data["unclassified"]["titles"])] * self.data["unclassified"]["count"]
        self.rng.shuffle(items)
        closed = set(self.rng.sample(range(len(items)), self.data["closed"]))
        teams = list(Team.objects.select_related("village").order_by("number"))
        categories = {c.code: c for c in Category.objects.all()}
        subcategories = {s.code: s for s in SubCategory.objects.all()}
        drafts = []
        for index, (category, sub, titles) in enumerate(items):
            team = self.rng.choice(teams)
            visit = self.rng.choice(visits[team.pk])
            drafts.append(
                self.draft_case(
                    team,
                    visit,
                    categories.get(category["code"]) if category else None,
                    subcategories.get(sub["code"]) if sub else None,
                    self.rng.choice(titles),
                    index in closed,
                )
            )
        drafts.sort(key=lambda c: (c.raised_on, c.team.number))
        serials: dict[int, int] = {}
        for case in drafts:
            serials[case.raised_on.year] = serials.get(case.raised_on.year, 0) + 1
            case.number = format_number(self.town, case.raised_on.year, serials[case.raised_on.year])
            case.town = self.town
        Case.objects.bulk_create(drafts)
        for year, last in serials.items():
            NumberSequence.objects.update_or_create(town=self.town, year=year, defaults={"last": last})
        self.write_histories(drafts)
        self.log.append(f"cases: {len(drafts)} ({len(closed)} closed), as of {self.as_of}")
        return len(drafts)

    def draft_case(self, team, visit, category, subcategory, title, is_closed) -> Case:
        village = team.village
        case = Case(
            village=village,
            team=team,
            visit=visit,
            raised_on=visit.date,
            channel=self.rng.choice(["household"] * 6 + ["briefing", "phone", "overseas"]),
            kind=self.rng.choice(["help"] * 3 + ["enquiry", "suggestion", "complaint"]),
            resident_name=self.resident_name(),
            resident_phone=self.phone(),
            resident_address=f"{village.short_name}{self.rng.choice(self.data['surnames'])}"
            f"{self.rng.choice(self.data['hamlet_suffixes'])}{self.rng.randrange(1, 40)}号",
            category=category,
            subcategory=subcategory,
            title=title,
            description=f"{title}。（演示数据：内容按报告所列类别生成）",
            status=Case.Status.IN_PROGRESS,
            decision=self.rng.choice(list(Case.Decision.values)),
            responsible=self.rng.choice([team.leader, team.liaison]),
            generated=True,
        )
        span = (self.as_of - visit.date).days
        case.due_on = visit.date + datetime.timedelta(days=self.rng.randrange(10, 60))
        case.fed_back_on = min(self.as_of, visit.date + datetime.timedelta(days=self.rng.randrange(1, 8)))
        if not is_closed and (self.as_of - visit.date).days < 7:
            # Raised at the last visit: the monthly meeting has not decided on it yet.
            case.status, case.decision, case.responsible, case.due_on = Case.Status.REGISTERED, "", None, None
        if is_closed:
            closure = self.rng.choice(["solved"] * 5 + ["on_the_spot"] * 2 + ["explained"] * 2)
            case.status = Case.Status.CLOSED
            case.closure = closure
            case.decision = {"explained": "explain", "on_the_spot": ""}.get(closure, "handle_now")
            case.closed_on = (
                visit.date
                if closure == "on_the_spot"
                else visit.date + datetime.timedelta(days=self.rng.randrange(0, span + 1))
            )
            case.result = self.rng.choice(self.data["results"][closure])
            case.fed_back_on = max(case.closed_on, min(self.as_of, case.fed_back_on))
        return case

    def write_histories(self, cases: list[Case]):
        events, feedback = [], []
        tz = datetime.timezone(datetime.timedelta(hours=8))
        for case in Case.objects.filter(generated=True).select_related("responsible"):
            at = datetime.datetime.combine(case.raised_on, datetime.time(11, 30), tz)
            registered = {"code": "registered", "channel": case.channel}
            events.append(
                CaseEvent(case=case, kind="registered", at=at, data=registered, status_to="registered", public=True)
            )
            if case.decision:
                events.append(
                    CaseEvent(
                        case=case,
                        kind="triaged",
                        at=at + datetime.timedelta(hours=2),
                        data=triaged_data(case),
                        status_from="registered",
                        status_to="in_progress",
                        public=True,
                    )
                )
            if case.is_closed:
                events.append(
                    CaseEvent(
                        case=case,
                        kind="closed",
                        at=datetime.datetime.combine(case.closed_on, datetime.time(16, 0), tz),
                        text=case.result,
                        data={"code": "closed", "closure": case.closure},
                        status_from="in_progress",
                        status_to="closed",
                        public=True,
                    )
                )
            feedback.append(
                Feedback(
                    case=case,
                    given_on=case.fed_back_on,
                    channel=self.rng.choice(["in_person", "phone", "notice_board"]),
                    given_by=case.responsible,
                    satisfaction=self.rng.choice(["satisfied"] * 4 + ["basically", "unsatisfied"])
                    if case.is_closed
                    else "",
                    notes="已告知办理进度" if not case.is_closed else "已告知办理结果",
                )
            )
        CaseEvent.objects.bulk_create(events)
        Feedback.objects.bulk_create(feedback)

    def person_name(self) -> str:
        return self.rng.choice(self.data["surnames"]) + self.rng.choice(self.data["given_names"])

    def resident_name(self) -> str:
        """A name no cadre has: the board names the responsible cadre, and a resident of the same name
        would read as that resident's name in public. The next given name is taken instead of a new draw,
        so the rest of the demo (seeded) stays as it was."""
        if self.cadre_names is None:
            self.cadre_names = set(Cadre.objects.values_list("name", flat=True))
        surname, given = self.rng.choice(self.data["surnames"]), self.rng.choice(self.data["given_names"])
        names = self.data["given_names"]
        while surname + given in self.cadre_names:
            given = names[(names.index(given) + 1) % len(names)]
        return surname + given

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**8, 10**9)}"


def triaged_data(case: Case) -> dict:
    """The triage line's code and values as cases/workflow.py writes them (cases/history.py renders it)."""
    data = {"code": "triaged", "decision": case.decision}
    if case.responsible is not None:
        data["responsible"] = case.responsible.name
    if case.due_on is not None:
        data["due_on"] = case.due_on.isoformat()
    if case.decision == Case.Decision.PLAN and case.planned_on is not None:
        data["planned_on"] = case.planned_on.isoformat()
    if case.decision == Case.Decision.EXPLAIN and case.explaining_department:
        data["department"] = case.explaining_department
    return data
