"""The SQL that keeps reports_casetally (cases.models.CaseTally) in step with cases_case.

Triggers, not signals: a trigger sees every write to the ledger (the workflow's saves, the imports'
bulk inserts, generate_cases's COPY, QuerySet.update, the admin) in the same transaction as the
write itself, so the tally can never drift from the cases it counts. PostgreSQL runs one trigger
per statement over its transition tables (a COPY of a million cases is one grouped upsert);
SQLite, which has only row triggers, runs one per row.

Each case adds 1 (an insert), −1 (a delete) or −1 then +1 (an update) to the row of the month of
each of its events; the changes are summed per row first and rows whose sum is 0 (an update that
moved no date, status or dimension) are not touched.
"""

COLUMNS = ["raised", "raised_closed", "closed", "fed_back", "due_passed", "closed_due_passed"]
KEY = ["month", "town_id", "village_id", "team_id", "category_id", "subcategory_id"]
KEY_POSITIONS = ", ".join(str(n) for n in range(1, len(KEY) + 1))
# What a change row carries (besides its sign): the dimensions and every date an event uses.
CASE_COLUMNS = ["town_id", "village_id", "team_id", "category_id", "subcategory_id", "raised_on", "status", "closed_on"]
CASE_COLUMNS += ["fed_back_on", "due_on", "voided_at"]
TRIGGERS = ["reports_casetally_insert", "reports_casetally_update", "reports_casetally_delete"]


def event_days(vendor: str) -> dict[str, str]:
    """The day each column counts a case on, over a change row X; NULL where it never does."""
    if vendor == "postgresql":
        later, day_after = "greatest({}, {})", "({} + 1)"
    else:
        later, day_after = "max({}, {})", "date({}, '+1 day')"
    closed = "x.status = 'closed'"
    return {
        "raised": "x.raised_on",
        "raised_closed": f"CASE WHEN {closed} THEN x.raised_on END",
        "closed": f"CASE WHEN {closed} THEN x.closed_on END",
        "fed_back": f"CASE WHEN x.fed_back_on IS NOT NULL THEN {later.format('x.raised_on', 'x.fed_back_on')} END",
        "due_passed": (
            f"CASE WHEN x.due_on IS NOT NULL THEN {later.format('x.raised_on', day_after.format('x.due_on'))} END"
        ),
        "closed_due_passed": (
            f"CASE WHEN {closed} AND x.due_on IS NOT NULL "
            f"THEN {later.format('x.closed_on', day_after.format('x.due_on'))} END"
        ),
    }


def counted(vendor: str, changes: str) -> str:
    """A SELECT of KEY and COLUMNS: the events of CHANGES (a SELECT of sign and CASE_COLUMNS) summed
    per row of the tally, the rows whose sums are all 0 left out."""
    month = "date_trunc('month', e.day)::date" if vendor == "postgresql" else "strftime('%Y-%m-01', e.day)"
    dims = "x.town_id, x.village_id, x.team_id, x.category_id, x.subcategory_id"
    events = " UNION ALL ".join(
        # A voided case (cases/voiding.py) counts nowhere: voiding is an update that takes it out.
        f"SELECT x.sign, {dims}, {k} AS k, {day} AS day FROM ({changes}) x WHERE x.voided_at IS NULL"
        for k, day in enumerate(event_days(vendor).values())
    )
    sums = [f"sum(CASE WHEN e.k = {k} THEN e.sign ELSE 0 END)" for k in range(len(COLUMNS))]
    return (
        f"SELECT {month} AS month, e.town_id AS town_id, e.village_id AS village_id, "
        f"COALESCE(e.team_id, 0) AS team_id, "
        f"COALESCE(e.category_id, 0) AS category_id, COALESCE(e.subcategory_id, 0) AS subcategory_id, "
        f"{', '.join(f'{s} AS {c}' for s, c in zip(sums, COLUMNS, strict=True))} "
        f"FROM ({events}) e WHERE e.day IS NOT NULL "
        f"GROUP BY {KEY_POSITIONS} HAVING {' OR '.join(s + ' <> 0' for s in sums)}"
    )


def upsert(vendor: str, changes: str) -> str:
    """Add the events of CHANGES (a SELECT of sign and CASE_COLUMNS) to the tally."""
    updates = ", ".join(f"{c} = reports_casetally.{c} + excluded.{c}" for c in COLUMNS)
    return (
        f"INSERT INTO reports_casetally ({', '.join(KEY + COLUMNS)}) {counted(vendor, changes)} "
        # In key order, so that two writers lock the rows they share in the same order.
        f"ORDER BY {KEY_POSITIONS} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
    )


def _rows(sign: int, name: str) -> str:
    return f"SELECT {sign} AS sign, {', '.join(f'{name}.{c} AS {c}' for c in CASE_COLUMNS)}"


def create_triggers(vendor: str) -> list[str]:
    if vendor == "postgresql":
        inserted = upsert(vendor, f"{_rows(1, 'n')} FROM new_cases n")
        deleted = upsert(vendor, f"{_rows(-1, 'o')} FROM old_cases o")
        updated = upsert(vendor, f"{_rows(-1, 'o')} FROM old_cases o UNION ALL {_rows(1, 'n')} FROM new_cases n")
        function = (
            "CREATE OR REPLACE FUNCTION reports_casetally_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {inserted}; "
            f"ELSIF TG_OP = 'DELETE' THEN {deleted}; "
            f"ELSE {updated}; END IF; RETURN NULL; END $$"
        )
        each = "FOR EACH STATEMENT EXECUTE FUNCTION reports_casetally_keep()"
        return [
            function,
            f"CREATE TRIGGER reports_casetally_insert AFTER INSERT ON cases_case "
            f"REFERENCING NEW TABLE AS new_cases {each}",
            f"CREATE TRIGGER reports_casetally_update AFTER UPDATE ON cases_case "
            f"REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases {each}",
            f"CREATE TRIGGER reports_casetally_delete AFTER DELETE ON cases_case "
            f"REFERENCING OLD TABLE AS old_cases {each}",
        ]
    watched = ", ".join(CASE_COLUMNS)
    return [
        f"CREATE TRIGGER reports_casetally_insert AFTER INSERT ON cases_case FOR EACH ROW "
        f"BEGIN {upsert(vendor, _rows(1, 'NEW'))}; END",
        f"CREATE TRIGGER reports_casetally_update AFTER UPDATE OF {watched} ON cases_case FOR EACH ROW "
        f"BEGIN {upsert(vendor, _rows(-1, 'OLD') + ' UNION ALL ' + _rows(1, 'NEW'))}; END",
        f"CREATE TRIGGER reports_casetally_delete AFTER DELETE ON cases_case FOR EACH ROW "
        f"BEGIN {upsert(vendor, _rows(-1, 'OLD'))}; END",
    ]


def drop_triggers(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t} ON cases_case" for t in TRIGGERS] + [
            "DROP FUNCTION IF EXISTS reports_casetally_keep()"
        ]
    return [f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS]


FRESH = "reports_casetally_fresh"


def rebuild(vendor: str) -> list[str]:
    """Count every case afresh (the migrations that install the triggers, cases.tally.rebuild, repair_schema),
    writing only the rows that differ from the count: every migrate used to recount, and on PostgreSQL
    deleting and inserting every row left that many dead rows each time (the tally grew from 363
    to 5,062 pages and reading it from 2 to 19 ms), where a tally already right now costs no write.
    The count goes to a temporary table first, so that the cases are read once."""
    columns = ", ".join(KEY + COLUMNS)
    same_key = " AND ".join(f"f.{k} = reports_casetally.{k}" for k in KEY)
    differs = " OR ".join(f"reports_casetally.{c} <> excluded.{c}" for c in COLUMNS)
    every_case = f"{_rows(1, 'c')} FROM cases_case c"
    return [
        f"CREATE TEMPORARY TABLE {FRESH} AS {counted(vendor, every_case)}",
        f"DELETE FROM reports_casetally WHERE NOT EXISTS (SELECT 1 FROM {FRESH} f WHERE {same_key})",
        # WHERE true: without a WHERE, SQLite would read ON CONFLICT as the SELECT's join condition.
        f"INSERT INTO reports_casetally ({columns}) SELECT {columns} FROM {FRESH} WHERE true ORDER BY {KEY_POSITIONS} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COLUMNS)} "
        f"WHERE {differs}",
        f"DROP TABLE {FRESH}",
    ]
