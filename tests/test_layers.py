"""The package's modules import one way: down the layers of docs/design.md, with no cycle.

Imports inside functions count (they are cycles all the same, only later);
imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
import pathlib

import flask_server_functions

PACKAGE = pathlib.Path(flask_server_functions.__file__).parent

#: Bottom to top: a module may import modules of its own layer or of lower ones.
LAYERS: list[tuple[str, set[str]]] = [
    (
        "core",
        {
            "_version",
            "errors",
            "wire",
            "htmx",
            "schemas",
            "signing",
            "binding",
            "references",
            "functions",
            "registry",
            "groups",
            "signals",
            "stores",
            "sqlite_store",
            "fingerprint",
            "state",
            "validation",
            "messages",
            "i18n",
        },
    ),
    ("per-app state", {"config"}),
    (
        "request",
        {
            "inputs",
            "origin",
            "negotiation",
            "permalink",
            "kept",
            "guards",
            "idempotency",
            "assets",
            "ratelimit",
            "tracing",
            "page",
            "landing",
        },
    ),
    ("rendering", {"rendering", "templating", "scripts"}),
    ("endpoint", {"invoke", "answers", "precognition", "streaming", "endpoint"}),
    ("wiring", {"extension", "cli", "testing", "__init__"}),
]
LAYER_OF = {module: i for i, (_, modules) in enumerate(LAYERS) for module in modules}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> set[str]:
    """The package modules ``tree`` imports at run time (anywhere, functions included)."""
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                if node.module:
                    found.add(node.module.split(".")[0])
                else:  # from . import htmx
                    found.update(alias.name for alias in node.names)
            elif node.level == 0 and (node.module or "").startswith("flask_server_functions"):
                rest = (node.module or "").split(".")[1:]
                found.add(rest[0] if rest else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "flask_server_functions":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        stack.extend(ast.iter_child_nodes(node))
    return found


def _graph() -> dict[str, set[str]]:
    return {
        path.stem: _imports(ast.parse(path.read_text(), str(path)))
        for path in sorted(PACKAGE.glob("*.py"))
    }


def test_every_module_has_a_layer() -> None:
    assert set(_graph()) == set(LAYER_OF), "add new modules to LAYERS (and docs/design.md)"


def test_imports_go_down_the_layers() -> None:
    upward = [
        f"{module} ({LAYERS[LAYER_OF[module]][0]}) imports {target} ({LAYERS[LAYER_OF[target]][0]})"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if target in LAYER_OF and LAYER_OF[target] > LAYER_OF[module]
    ]
    assert upward == []


def test_no_import_cycle() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = [*trail[trail.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done or module not in graph:
            return
        for target in sorted(graph[module]):
            visit(target, [*trail, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_the_walk_sees_function_level_imports() -> None:
    """The checker itself: an import inside a function counts, a TYPE_CHECKING one not."""
    tree = ast.parse(
        "import typing as t\n"
        "if t.TYPE_CHECKING:\n    from .extension import ServerFunctions\n"
        "def f():\n    from .endpoint import call\n"
        "from . import htmx\n"
    )
    assert _imports(tree) == {"endpoint", "htmx"}


def test_no_module_is_long() -> None:
    long = {p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
