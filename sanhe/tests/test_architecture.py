"""The apps' floors (ARCHITECTURE.md): an app imports only the apps below it, sanhe/lib none, and
its models point only at models of its own floor or below.

Every import of every module of the apps is read (tests and migrations aside: a test may set up
any floor), function-level imports included, since a late import is an import all the same. A
foreign key named as a string ("cases.Case") imports nothing, yet ties the app's tables and
migrations to the app it names: it is read from the models themselves."""

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


def upward_relations(models) -> set[tuple[str, str]]:
    """(model, related model) for every relation of MODELS to a model of an app on a higher floor."""
    upward = set()
    for model in models:
        floor = FLOORS.get(model._meta.app_label)
        for field in model._meta.get_fields(include_hidden=True):
            if field.is_relation and field.concrete and field.related_model is not None:
                other = field.related_model._meta
                if floor is not None and FLOORS.get(other.app_label, 0) > floor:
                    upward.add((model._meta.label, other.label))
    return upward


def test_no_model_points_at_one_above_it():
    from django.apps import apps

    upward = upward_relations(apps.get_models())
    assert not upward, f"relations against the floors of ARCHITECTURE.md: {sorted(upward)}"


def test_the_check_sees_a_relation_upward():
    from types import SimpleNamespace

    from cases.models import Case

    field = SimpleNamespace(is_relation=True, concrete=True, related_model=Case)
    meta = SimpleNamespace(app_label="villages", label="villages.Stray", get_fields=lambda include_hidden: [field])
    assert upward_relations([SimpleNamespace(_meta=meta)]) == {("villages.Stray", "cases.Case")}
