"""Areas point one way (issue 8; docs/architecture.md, "Layers").

lib → db → accounts → tracking → goals → productivity → planning → transfer → system, with
app/asgi.py and app/cli.py (with its app/cli_*.py) on top. A module imports only from its own area or a lower
one (imports inside functions included); `lib` (with `app/settings.py`) imports nothing
from `app.db` or `app.domain`. Parsed with `ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# Lowest first. `settings` belongs to the base layer: lib may read the settings, and the
# settings may use lib helpers, but neither may reach into db or the domain.
LAYERS: tuple[str, ...] = (
    "lib",
    "db",
    "accounts",
    "tracking",
    "goals",
    "productivity",
    "planning",
    "notifications",
    "rules",
    "workspace",
    "transfer",
    "system",
    "top",
)
RANK = {name: i for i, name in enumerate(LAYERS)}
TOP_MODULES = frozenset({
    "app.asgi", "app.cli", "app.cli_common", "app.cli_db", "app.cli_demo", "app.cli_import", "app.cli_serve",
    "app.cli_users", "app.__main__",
})


def area_of(module: str) -> str | None:
    """The area of a dotted module name inside `app`, None for `app` itself or a bare package."""
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    if module in TOP_MODULES:
        return "top"
    if parts[1] in {"lib", "settings"}:
        return "lib"
    if parts[1] == "db":
        return "db"
    if parts[1] == "domain":
        if len(parts) < 3:
            return None
        if parts[2] not in RANK or parts[2] in {"lib", "db", "top"}:
            raise AssertionError(f"{module}: domain area {parts[2]!r} has no place in LAYERS; add it")
        return parts[2]
    raise AssertionError(f"{module}: module outside every layer; add it to area_of")


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every `app.*` module a file imports (at any depth), with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                # `from app.domain import tracking` names a package: take the deeper name.
                yield (f"{base}.{alias.name}" if area_of(base) is None else base), node.lineno


def import_edges(root: Path = APP) -> list[tuple[str, str, str, str, int]]:
    """(importer, its area, imported module, its area, line) for every import inside `app`."""
    edges = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        source_area = area_of(module)
        if source_area is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target, line in imports_of(tree, module, path.name == "__init__.py"):
            target_area = area_of(target) if target.startswith("app.") else None
            if target_area is not None:
                edges.append((module, source_area, target, target_area, line))
    return edges


def violations(edges: list[tuple[str, str, str, str, int]]) -> list[str]:
    found = []
    for module, area, target, target_area, line in edges:
        if RANK[target_area] > RANK[area]:
            found.append(f"{module}:{line} ({area}) imports {target} ({target_area}), a higher layer")
        if area == "lib" and target_area != "lib":
            found.append(f"{module}:{line}: lib/settings import {target}")
    return found


def area_cycles(edges: list[tuple[str, str, str, str, int]]) -> list[list[str]]:
    """Cycles in the area graph (an edge per import between two different areas)."""
    graph: dict[str, set[str]] = {}
    for _, area, _, target_area, _ in edges:
        if area != target_area:
            graph.setdefault(area, set()).add(target_area)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return cycles


def test_every_import_points_to_the_same_or_a_lower_layer() -> None:
    edges = import_edges()
    assert len(edges) > 100, "the parser found suspiciously few imports"
    assert violations(edges) == []


def test_no_import_cycle_between_areas() -> None:
    assert area_cycles(import_edges()) == []


def test_lib_imports_nothing_from_db_or_domain() -> None:
    wrong = [e for e in import_edges() if e[1] == "lib" and e[3] != "lib"]
    assert wrong == []


# ---------------------------------------------------------------- the checker itself


def _fake_app(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"lib/htmx.py": "from app.domain.accounts import auth\n"}, "lib/htmx"),
        ({"lib/metrics.py": "def f():\n    from app.db.config import write_intent\n"}, "lib/metrics"),
        ({"domain/tracking/x.py": "from app.domain.productivity.schemas import Foo\n"}, "tracking"),
        ({"domain/goals/x.py": "from app.domain.productivity import queries\n"}, "goals"),
        ({"domain/accounts/x.py": "import app.domain.tracking.entries\n"}, "accounts"),
        ({"domain/tracking/x.py": "from app.domain import goals\n"}, "tracking"),
        ({"domain/transfer/x.py": "from app.domain.system import health\n"}, "transfer"),
        ({"settings.py": "from app.domain.accounts.schemas import UserPrefs\n"}, "settings"),
    ],
)
def test_a_wrong_import_is_caught(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = violations(import_edges(_fake_app(tmp_path, files)))
    assert found and expected.replace("/", ".") in found[0]


def test_downward_imports_pass_and_a_cycle_is_found(tmp_path: Path) -> None:
    root = _fake_app(
        tmp_path,
        {
            "domain/productivity/x.py": "from app.domain.goals import schemas\nfrom app.lib import time\n",
            "domain/system/h.py": "from app.db import config\n",
            "asgi.py": "from app.domain.system import h\n",
        },
    )
    edges = import_edges(root)
    assert violations(edges) == []
    assert area_cycles(edges) == []
    cyclic = edges + [("app.domain.goals.y", "goals", "app.domain.productivity.x", "productivity", 1)]
    assert area_cycles(cyclic) == [["goals", "productivity", "goals"]]
