"""The house's rules, read from the code's own imports (README, « How the code is laid out »).

Layers, from the bottom: core/; twofactor/ and chorus/ (concerns every stage may use); the stage
apps in the procedure's order (structures/, banking/, mandates/, invoices/); onboarding/, which
composes them (the wizard, the connected home, the account stage); config/, the project. An app
imports only from the layers below it: no arrow points up, no two apps import each other.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# From the bottom up; an app may import any app of a lower rank.
RANKS = {
    "core": 0,
    "twofactor": 1,
    "chorus": 1,
    "structures": 2,
    "banking": 3,
    "mandates": 4,
    "invoices": 5,
    "onboarding": 6,
    "config": 7,
}
STAGE_APPS = ["structures", "banking", "mandates", "invoices"]


def modules(app):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported(path):
    """The modules `path` imports, absolute (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def imports_of(app):
    found = set()
    for path in modules(app):
        for module in imported(path):
            found.add((path.relative_to(ROOT).as_posix(), module))
    return found


@pytest.mark.parametrize("app", RANKS)
def test_it_imports_only_from_the_layers_below(app):
    wrong = sorted(
        f"{path} imports {module}"
        for path, module in imports_of(app)
        if (other := module.split(".")[0]) in RANKS and other != app and RANKS[other] >= RANKS[app]
    )
    assert wrong == []


@pytest.mark.parametrize("app", [*STAGE_APPS, "twofactor", "chorus", "core"])
def test_it_never_imports_the_wizard_nor_another_apps_views(app):
    wrong = sorted(
        f"{path} imports {module}"
        for path, module in imports_of(app)
        if module.startswith("onboarding")
        or (module.split(".")[0] in RANKS and module.split(".")[0] != app and ".views" in module)
    )
    assert wrong == []


@pytest.mark.parametrize("app", [app for app in RANKS if (ROOT / app / "services.py").exists()])
def test_it_keeps_services_free_of_views_and_forms(app):
    wrong = sorted(
        module
        for module in imported(ROOT / app / "services.py")
        if module.split(".")[0] in RANKS and any(part in ("views", "forms") for part in module.split("."))
    )
    assert wrong == []


def test_it_serves_every_supplier_file_through_the_one_helper():
    """FileResponse (a stored file sent) appears in core/files.py only."""
    senders = sorted(
        path.relative_to(ROOT).as_posix()
        for app in RANKS
        for path in modules(app)
        if "FileResponse" in path.read_text()
    )
    assert senders == ["core/files.py"]
