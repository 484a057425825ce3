"""No import cycles among our modules, and no imports of our own modules hidden in functions.

Every module of `organise/`, `crypto/` and `bench/` is parsed with `ast` (nothing is imported).
An import anywhere in a module counts, inside functions too, except under `if TYPE_CHECKING:`
(never run). `import a.b.c` is an edge to `a.b.c`; `from a.b import c` is an edge to `a.b.c`
when that is a module, else to `a.b`; relative imports are resolved against the importing
module's package. Edges to the packages an import passes through (`a`, `a.b`) are left out, so
a package's `__init__` importing its own modules is no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("organise", "crypto", "bench")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    where: str  # path:line of the import statement
    in_function: bool

    def __str__(self) -> str:
        return f"{self.where}: {self.source} -> {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, in_function: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under `node`, at any depth, outside `if TYPE_CHECKING:` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # the `else:` branch does run
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]), in_function)
        else:
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from _import_nodes(child, nested)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` names, or the innermost of ours it lies in; None if it is not ours."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(modules: dict[str, Path], root: Path = ROOT) -> Iterator[Import]:
    for source, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node, in_function in _import_nodes(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                if node.level:
                    package = source if is_package else source.rpartition(".")[0]
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    stem = f"{base}.{node.module}" if node.module else base
                else:
                    stem = node.module or ""
                # `from a import b`: the submodule a.b if there is one, else a itself.
                names = [
                    f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                    for alias in node.names
                ]
            for name in dict.fromkeys(names):
                target = _resolve(name, modules)
                if target is not None:
                    where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    yield Import(source, target, where, in_function)


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module, and modules importing themselves."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def describe(components: list[list[str]], edges: list[Import]) -> str:
    lines = []
    for component in components:
        members = set(component)
        lines.append("cycle: " + " <-> ".join(component))
        lines += [
            f"    {edge}" for edge in edges if edge.source in members and edge.target in members
        ]
    return "\n".join(lines)


def _edges() -> list[Import]:
    return list(imports(discover()))


def test_the_graph_is_read():
    modules = discover()
    assert {"organise.cli", "crypto.envelope", "bench.run", "organise"} <= set(modules)
    edges = _edges()
    assert any(e.source == "organise.cli" and e.target.startswith("organise.") for e in edges)
    assert any(e.source.startswith("crypto.") and e.target == "crypto.errors" for e in edges)


def test_no_import_cycles():
    edges = _edges()
    components = cycles(edges)
    assert components == [], "import cycles:\n" + describe(components, edges)


def test_no_function_level_imports_of_our_own_modules():
    """Imports inside functions hide cycles: our modules import each other at module level."""
    offenders = [
        str(edge)
        for edge in _edges()
        if edge.in_function and edge.source.split(".")[0] == edge.target.split(".")[0]
    ]
    assert offenders == [], "function-level imports:\n" + "\n".join(offenders)


FEATURES = ("campaigns", "contracts", "dashboard", "home", "organisers", "reports", "surveys")
# Above the features: the app and the command line assemble them (and the list of time-based
# jobs both run); bootstrap, the start of every command, refuses a new keystore for a database
# that has accounts (organisers.models).
ABOVE_FEATURES = {
    "organise.app",
    "organise.cli",
    "organise.__main__",
    "organise.bootstrap",
    "organise.jobs",
}


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "organise" and parts[1] in FEATURES else None


def test_the_shared_glue_imports_no_feature():
    """organise/web/ and the shared modules sit below the features (docs/architecture.md): what
    the glue needs of a feature is handed to it (the access rules' sign-ins), never imported."""
    offenders = [
        str(edge)
        for edge in _edges()
        if edge.source.startswith("organise.")
        and _feature(edge.source) is None
        and edge.source not in ABOVE_FEATURES
        and _feature(edge.target) is not None
    ]
    assert offenders == [], "imports that run back up to a feature:\n" + "\n".join(offenders)


def _plant(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(imports(discover(tmp_path, ("pkg",)), tmp_path))


def test_the_checker_finds_planted_cycles_and_skips_type_checking(tmp_path):
    edges = _plant(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg import a\n",
            # a -> b through a relative `from . import` of a submodule
            "pkg/a.py": "from . import b\n",
            # b -> c inside a function, by absolute name
            "pkg/b.py": "def f():\n    import pkg.sub.c\n",
            # c -> a through a parent-relative import of a name (not a module)
            "pkg/sub/__init__.py": "",
            "pkg/sub/c.py": "from ..a import something\n",
            # d imports itself; e's import of a is for type checkers only
            "pkg/d.py": "import pkg.d\n",
            "pkg/e.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
                "else:\n    import pkg.d\n"
            ),
        },
    )
    assert cycles(edges) == [["pkg.a", "pkg.b", "pkg.sub.c"], ["pkg.d"]]
    assert {(e.source, e.target) for e in edges if e.source == "pkg.e"} == {("pkg.e", "pkg.d")}
    assert [(e.source, e.target) for e in edges if e.in_function] == [("pkg.b", "pkg.sub.c")]
    assert "pkg/b.py:2: pkg.b -> pkg.sub.c" in describe(cycles(edges), edges)
