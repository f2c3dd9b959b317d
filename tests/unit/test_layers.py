"""The shape of the code, as docs/ARCHITECTURE.md states it, checked on the source with `ast` (nothing is imported):

- the import rules: the table under "What each layer may import" is read from the document itself, so the document
  and this check cannot drift apart; plus the marketplace packages' own rules (reached only through `connectors`);
- bot/ runs no SQL: the queries are the services';
- outside connectors/ (and sandbox/, tests/) no marketplace order status word or currency code is written: the
  connectors translate them into OrderState / OrderAction / Currency;
- the connectors' modules import each other without a cycle.

Each failure names the file, the line and the rule it breaks.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
RULES_HEADING = "## What each layer may import"
TOP_LEVEL = ("bot", "services", "connectors", "db", "sandbox", "bench", "tests", "tools")
# The connectors' shared core: what every marketplace package builds on, and which knows none of them.
CONNECTOR_CORE = ("base", "http", "pacing", "clock", "client_base")
# bot/ may hold a session (the middleware opens and commits it) but never query with it.
BOT_SQLALCHEMY_NAMES = {"sqlalchemy.ext.asyncio": {"AsyncSession", "async_sessionmaker", "AsyncEngine"}}
BOT_SESSION_METHODS = {"commit", "rollback", "close", "in_transaction"}
QUERY_METHODS = {"execute", "scalar", "scalars", "stream", "stream_scalars", "exec_driver_sql", "run_sync"}
# Where marketplace status words and currency codes may not appear as string constants.
NO_MARKETPLACE_WORDS = ("services", "bot", "db")


def report(title: str, broken: list[str]) -> None:
    """Fail with exactly what broke, one line each (no assertion rewriting noise)."""
    if broken:
        pytest.fail(f"{title}:\n" + "\n".join(broken), pytrace=False)


# ------------------------------------------------------------------------------------------------ reading the tree
@dataclass(frozen=True)
class Import:
    path: Path  # the importing file
    line: int
    module: str  # the module as resolved: `from a.b import c` is a.b.c when c is a module, else a.b
    type_only: bool  # under `if TYPE_CHECKING:`
    source: str | None = None  # `from <source> import <name>`
    name: str | None = None


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def sources(top: str) -> tuple[Path, ...]:
    return tuple(sorted((ROOT / top).rglob("*.py")))


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def all_modules() -> frozenset[str]:
    return frozenset(module_name(p) for top in TOP_LEVEL for p in sources(top))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


@cache
def imports(path: Path) -> tuple[Import, ...]:
    """Every import in the file, at module level or inside a function, each marked if it is for type checkers only."""
    found: list[Import] = []
    known = all_modules()

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(path, node.lineno, alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(path, node)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                module = target if target in known else base
                found.append(Import(path, node.lineno, module, type_only, base, alias.name))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):  # expressions hold no imports
                visit(child, type_only)

    visit(tree(path), False)
    return tuple(found)


def top_of(module: str) -> str:
    return module.split(".")[0]


# ---------------------------------------------------------------------------------------- (a) the layer rules
def documented_rules() -> dict[str, set[str]]:
    """{layer: the top-level names it must not import}, from the table in docs/ARCHITECTURE.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert RULES_HEADING in text, f"{rel(ARCHITECTURE)} has no section {RULES_HEADING!r}: the import rules live there"
    section = text.split(RULES_HEADING, 1)[1].split("\n## ", 1)[0]
    rules: dict[str, set[str]] = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")] if row.lstrip().startswith("|") else []
        layer = re.fullmatch(r"`(\w+)/`", cells[0]) if cells else None
        if layer:
            rules[layer.group(1)] = set(re.findall(r"`([\w.]+)`", cells[-1]))
    assert rules, f"no rule rows (| `layer/` | ... | `forbidden` ... |) under {RULES_HEADING!r} in {rel(ARCHITECTURE)}"
    return rules


def test_the_document_states_a_rule_for_every_product_layer():
    rules = documented_rules()
    missing = [layer for layer in ("bot", "services", "connectors", "db", "sandbox") if layer not in rules]
    report(f"{rel(ARCHITECTURE)} states no import rule ({RULES_HEADING[3:]}) for", missing)


def test_each_layer_imports_only_what_the_document_allows():
    broken = []
    for layer, forbidden in sorted(documented_rules().items()):
        for path in sources(layer):
            for imp in imports(path):
                if top_of(imp.module) in forbidden and top_of(imp.module) != layer:
                    broken.append(f"{rel(path)}:{imp.line}: imports {imp.module} — {layer}/ must not import "
                                  f"{top_of(imp.module)} (docs/ARCHITECTURE.md, {RULES_HEADING[3:]})")
    report("layer rules broken", broken)


@cache
def marketplace_packages() -> tuple[str, ...]:
    return tuple(sorted(p.parent.name for p in (ROOT / "connectors").glob("*/__init__.py")))


def _marketplace_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "connectors" and parts[1] in marketplace_packages() else None


def test_marketplace_packages_are_reached_only_through_connectors():
    """bot/, services/ and db/ use `connectors.profile()` / `connectors.build_client()`, never a marketplace package;
    a marketplace package never imports another one, and the shared core imports none."""
    assert set(marketplace_packages()) >= {"uzum", "yandex", "wildberries", "ozon"}, marketplace_packages()
    broken = []
    for layer in ("bot", "services", "db"):
        for path in sources(layer):
            for imp in imports(path):
                if _marketplace_of(imp.module):
                    broken.append(f"{rel(path)}:{imp.line}: imports {imp.module} — outside connectors/ a "
                                  f"marketplace is reached through connectors.profile() / build_client()")
    for path in sources("connectors"):
        own = _marketplace_of(module_name(path))
        for imp in imports(path):
            other = _marketplace_of(imp.module)
            if other is None or other == own:
                continue
            if own is not None:
                broken.append(f"{rel(path)}:{imp.line}: imports {imp.module} — one marketplace package never "
                              f"imports another (shared code goes to the connectors' core)")
            elif path.stem in CONNECTOR_CORE:
                broken.append(f"{rel(path)}:{imp.line}: imports {imp.module} — the shared core "
                              f"(connectors/{{{','.join(CONNECTOR_CORE)}}}.py) knows no marketplace")
    report("marketplace package rules broken", broken)


# ----------------------------------------------------------------------------------------- (b) no SQL in bot/
def test_bot_runs_no_sql():
    broken = []
    for path in sources("bot"):
        for imp in imports(path):
            if top_of(imp.module) != "sqlalchemy":
                continue
            if imp.name not in BOT_SQLALCHEMY_NAMES.get(imp.source or "", set()):
                what = f"{imp.name} from {imp.source}" if imp.name else imp.module
                broken.append(f"{rel(path)}:{imp.line}: imports {what} — bot/ may hold a session "
                              f"({', '.join(sorted(n for names in BOT_SQLALCHEMY_NAMES.values() for n in names))}) "
                              f"but queries belong to services/")
        for node in ast.walk(tree(path)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, receiver = node.func.attr, node.func.value
            if method in QUERY_METHODS:
                broken.append(f"{rel(path)}:{node.lineno}: calls .{method}(...) — a query; put it in a service")
            elif isinstance(receiver, ast.Name) and receiver.id == "session" and method not in BOT_SESSION_METHODS:
                broken.append(f"{rel(path)}:{node.lineno}: calls session.{method}(...) — bot/ only commits the "
                              f"session; reading and writing rows belongs to services/")
    report("SQL in bot/", broken)


# ------------------------------------------------------------------- (c) marketplace words stay in connectors/
def _strings(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _assignments(module: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    for stmt in module.body:
        if isinstance(stmt, ast.Assign) and stmt.value is not None:
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    yield target.id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            yield stmt.target.id, stmt.value


def _enum_values(module: ast.Module, *, only: str | None = None, skip: str | None = None) -> dict[str, str]:
    """{value: "Class.MEMBER"} of the string-valued classes (the StrEnums) defined in a module."""
    values = {}
    for cls in (n for n in module.body if isinstance(n, ast.ClassDef)):
        if (only and cls.name != only) or cls.name == skip:
            continue
        for name, value in _assignments(ast.Module(body=cls.body, type_ignores=[])):
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                values[value.value] = f"{cls.name}.{name}"
    return values


@cache
def marketplace_words() -> dict[str, str]:
    """{word: where it comes from}: every status word the connectors map (the keys of their status -> OrderState
    tables, the constants those keys are built from, the constants named *STATUS*) and every currency code they
    read or write (connectors.base.Currency, the *CURRENC* tables) — less the platform's own vocabulary (the values
    of connectors.base's other enums: OrderState "new", OrderAction "cancel" ...)."""
    words: dict[str, str] = {}
    base = tree(ROOT / "connectors" / "base.py")
    for value, member in _enum_values(base, only="Currency").items():
        words[value] = f"connectors/base.py {member}"
    for package in marketplace_packages():
        for name in ("orders.py", "models.py"):
            path = ROOT / "connectors" / package / name
            if not path.exists():
                continue
            assigned = dict(_assignments(tree(path)))
            for target, value in assigned.items():
                where = f"{rel(path)} {target}"
                if isinstance(value, ast.Dict) and _mentions(value, "OrderState"):
                    for key in value.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            words.setdefault(key.value, where)
                        # A key taken from a constant (NEW_ORDER[1], CANCELLED): every word of that constant.
                        for ref in (n.id for n in ast.walk(key) if isinstance(n, ast.Name)):
                            for word in _strings(assigned.get(ref, ast.Constant(None))):
                                words.setdefault(word, f"{rel(path)} {ref}")
                elif "STATUS" in target.upper() or "CURRENC" in target.upper():
                    for word in _strings(value):
                        words.setdefault(word, where)
    for own in _enum_values(base, skip="Currency"):
        words.pop(own, None)
    return words


def _docstrings(module: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(module):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _is_marketplace_word(text: str, words: dict[str, str]) -> str | None:
    if text in words:
        return text
    parts = text.split("/")  # Yandex's "<status>/<substatus>", as connectors.yandex.orders.order_status writes it
    if len(parts) > 1 and all(p in words for p in parts):
        return parts[0]
    return None


def test_the_set_of_marketplace_words_is_read_from_every_connector():
    words = marketplace_words()
    # One known word per marketplace (and per kind), so a change in how the tables are written cannot empty the set.
    expected = {"CREATED": "uzum", "PROCESSING": "yandex", "READY_TO_SHIP": "yandex", "awaiting_packaging": "ozon",
                "canceled_by_client": "wildberries", "RUR": "yandex", "UZS": "base"}
    missing = [f"{word} ({source})" for word, source in expected.items() if word not in words]
    assert not missing, "not collected from the connectors: " + ", ".join(missing)
    for own in ("new", "cancelled", "cancel", "confirm"):
        assert own not in words, f"{own!r} is the platform's own word (connectors.base), not a marketplace's"


def test_no_marketplace_status_or_currency_outside_connectors():
    words = marketplace_words()
    broken = []
    for layer in NO_MARKETPLACE_WORDS:
        for path in sources(layer):
            module = tree(path)
            skip = _docstrings(module)
            for node in ast.walk(module):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                        and (word := _is_marketplace_word(node.value, words))):
                    broken.append(f"{rel(path)}:{node.lineno}: {node.value!r} — a marketplace's word "
                                  f"({words[word]}); use OrderState / OrderAction / Currency from connectors.base")
    report("marketplace words outside connectors/", broken)


# --------------------------------------------------------------------------------- (d) no cycle in connectors/
def import_cycles(top: str) -> list[list[str]]:
    """The import cycles among a package's modules: imports run at import or call time (module level and inside
    functions), not the ones for type checkers only."""
    modules = {module_name(p): p for p in sources(top)}
    graph = {name: sorted({i.module for i in imports(path) if not i.type_only and i.module in modules} - {name})
             for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def _describe(cycle: list[str], top: str) -> str:
    modules = {module_name(p): p for p in sources(top)}
    members = set(cycle)
    lines = [f"cycle among {', '.join(cycle)}:"]
    for name in cycle:
        for imp in imports(modules[name]):
            if not imp.type_only and imp.module in members and imp.module != name:
                lines.append(f"  {rel(imp.path)}:{imp.line}: imports {imp.module}")
    return "\n".join(lines)


def test_no_import_cycle_among_the_connectors_modules():
    report("import cycles in connectors/ (a feature module takes the client's Protocol or request object, not the "
           "client)", [_describe(c, "connectors") for c in import_cycles("connectors")])
