"""The apps' floors (ARCHITECTURE.md): an app imports only the apps below it, sanhe/lib none.

Every import of every module of the apps is read (tests and migrations aside: a test may set up
any floor), function-level imports included, since a late import is an import all the same."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"villages": 1, "teams": 2, "cases": 3, "reports": 4, "public": 5}


def app_modules():
    for app in [*FLOORS, "sanhe"]:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not {"tests", "migrations"} & set(relative.parts):
                yield relative


def imported_apps(path: Path) -> set[str]:
    """The top-level packages PATH imports, wherever in the module the import stands."""
    found = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def upward_imports() -> set[tuple[str, str]]:
    """(module, app) for every import of an app on a higher floor than the module's own; for
    sanhe/lib, of any app."""
    upward = set()
    for path in app_modules():
        app = path.parts[0]
        if app == "sanhe" and path.parts[1] != "lib":
            continue  # settings, urls and the API wire every app together
        floor = 0 if app == "sanhe" else FLOORS[app]
        upward |= {(path.as_posix(), other) for other in imported_apps(path) if FLOORS.get(other, 0) > floor}
    return upward


def test_no_app_imports_one_above_it():
    upward = upward_imports()
    assert not upward, f"imports against the floors of ARCHITECTURE.md: {sorted(upward)}"


def test_the_check_sees_a_late_import(tmp_path, monkeypatch):
    """The reader finds an import inside a function (a check that cannot fail proves nothing)."""
    module = tmp_path / "villages" / "late.py"
    module.parent.mkdir()
    module.write_text("def board():\n    from reports.figures import summary\n    return summary\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert imported_apps(Path("villages/late.py")) == {"reports"}
    assert upward_imports() == {("villages/late.py", "reports")}
