"""The code's shape, as docs/architecture.md states it (import-linter checks the layers in
`make lint`; these check what its contracts cannot)."""

import ast
import re

import grimp

from tests.paths import ROOT_DIR

APPS = ("grants", "applications", "reviews")
MAX_MODULE_LINES = 600


def _modules():
    for app in APPS:
        for path in (ROOT_DIR / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_anywhere_counting_function_level_imports():
    graph = grimp.build_graph(*APPS, "config", include_external_packages=False)
    edges = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_the_apps_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT_DIR)): lines
        for path in _modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_services_queue_only_tasks_that_exist():
    from applications import tasks

    named = set()
    for path in (ROOT_DIR / "applications" / "services").glob("*.py"):
        named |= set(re.findall(r'_enqueue_on_commit\(\s*"([a-z_]+)"', path.read_text()))
    assert named
    assert {name for name in named if not hasattr(getattr(tasks, name, None), "enqueue")} == set()


def test_no_package_of_services_or_selectors_re_exports():
    for app in ("applications", "reviews"):
        for package in ("services", "selectors"):
            tree = ast.parse((ROOT_DIR / app / package / "__init__.py").read_text())
            assert [type(node).__name__ for node in tree.body if not _is_docstring(node)] == []


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _view_modules():
    for app in APPS:
        for path in _modules():
            if path.is_relative_to(ROOT_DIR / app) and "views" in path.relative_to(ROOT_DIR).parts:
                yield path


def test_no_view_function_is_over_40_lines():
    long = []
    for path in _view_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 40:
                long.append(f"{path.relative_to(ROOT_DIR)}:{node.name}")
    assert long == []


def test_no_view_module_queries_the_database_itself():
    """Reads are selectors: a view module names no model manager (``Model.objects``)."""
    found = []
    for path in _view_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                found.append(f"{path.relative_to(ROOT_DIR)}:{node.lineno}")
    assert found == []
