"""scripts/backup-restore.sh: dump, restore into a fresh database, compare every table's rows."""

import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection

from cases.tests.factories import CaseFactory

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backup-restore.sh"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_url():
    if connection.vendor != "postgresql":
        pytest.skip("the backup-restore script works on PostgreSQL; CI runs this test in its PostgreSQL pass")
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "DATABASE_URL": url}
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300)


def total_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(" UNION ALL ".join(f'SELECT count(*) FROM "{t}"' for t in tables))
        return sum(row[0] for row in cursor.fetchall())


def drop_database(url: str) -> None:
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
    admin.close()


def test_backup_restore_script_restores_every_row(postgres_url):
    CaseFactory.create_batch(3)
    rows = total_rows()

    result = run(url=postgres_url)

    assert result.returncode == 0, result.stderr
    assert re.search(rf"backup-restore: \d+ tables, {rows} rows: the same in both\n", result.stdout)
    assert "backup-restore: restoring into the new database restore_check_" in result.stdout


def test_backup_restore_script_fails_when_a_count_differs(postgres_url):
    CaseFactory.create_batch(3)
    kept = run("--keep", url=postgres_url)
    restored_url = kept.stdout.rsplit("kept the restored database: ", 1)[1].strip()
    try:
        restored = psycopg2.connect(restored_url)
        with restored, restored.cursor() as cursor:
            cursor.execute("DELETE FROM cases_case WHERE id = (SELECT min(id) FROM cases_case)")
        restored.close()

        result = run("--compare", postgres_url, restored_url, url=postgres_url)
    finally:
        drop_database(restored_url)

    assert kept.returncode == 0, kept.stderr
    assert result.returncode == 1
    assert "backup-restore: FAILED: the row counts differ (< original, > restored):" in result.stderr
    assert "< cases_case 3\n" in result.stderr
    assert "> cases_case 2\n" in result.stderr


def test_backup_restore_script_refuses_a_non_postgres_url():
    result = run(url="sqlite:///db.sqlite3")

    assert result.returncode == 2
    assert result.stderr == "backup-restore: DATABASE_URL must be a postgres:// URL (it is 'sqlite:///db.sqlite3')\n"
