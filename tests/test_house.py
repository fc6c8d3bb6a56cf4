"""The package's architecture holds: layers only import downwards, no import cycles, small folders (issue 13)."""

from __future__ import annotations

import ast
import importlib
import inspect
import typing
from pathlib import Path

import grenzen

SRC = Path(grenzen.__file__).resolve().parent
#: bottom up; a module may import from its own layer or a lower one, never a higher one
LAYERS = {"contract": 0, "pipeline": 1, "toolkit": 2, "team": 3, "cli": 4, "server": 4, "api": 5}


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return LAYERS["api"]
    return LAYERS.get(parts[1], LAYERS["contract"])


def _imports(path: Path) -> set[str]:
    """The grenzen modules a file imports at run time (imports under ``if TYPE_CHECKING:`` left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
               for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found.update(n for n in names if (SRC.parent / (n.replace(".", "/") + ".py")).exists()
                         or (SRC.parent / n.replace(".", "/")).is_dir())
        elif isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(m for m in mods if m.startswith("grenzen."))
    return found


GRAPH = {_module(p): _imports(p) for p in SRC.rglob("*.py")}


def test_lower_layers_never_import_higher_ones():
    upward = sorted((a, b) for a, targets in GRAPH.items() for b in targets if _layer(b) > _layer(a))
    assert upward == []


def test_no_import_cycles():
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt == node or nxt.rpartition(".")[0] == node:  # a package importing its own module
                continue
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_every_folder_is_small_and_says_its_role():
    for folder in [SRC, *(p for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 15, folder
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc and doc.strip(), folder
        if folder != SRC:
            assert len(doc.strip().splitlines()) == 1, folder  # one line: its role


def test_every_public_name_imports():
    for name in grenzen.__all__:
        assert getattr(importlib.import_module("grenzen"), name) is not None, name


def test_every_public_annotation_resolves():
    """``typing.get_type_hints`` works on the public API, methods included: a name in an annotation that is only
    imported under ``TYPE_CHECKING`` breaks it (and pydantic, sphinx, typeguard with it)."""
    checked = []
    for name in grenzen.__all__:
        obj = getattr(grenzen, name)  # getattr, not the module's dict: __getattr__ loads the toolkit's names lazily
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # CaseInput: a type alias, no annotations of its own
        typing.get_type_hints(obj)
        checked.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                function = member.fget if isinstance(member, property) else member
                if inspect.isfunction(function) and (not attr.startswith("_") or attr == "__init__"):
                    typing.get_type_hints(function)
                    checked.append(f"{name}.{attr}")
    assert {"check_policy", "Policy.what_if", "analyse_policy", "compare_policies"} <= set(checked)


def test_the_graph_sees_the_imports():  # the checks above would pass on an empty graph
    assert "grenzen.pipeline._policy" in GRAPH["grenzen.toolkit._render"]
    assert "grenzen._models" in GRAPH["grenzen.pipeline._combine"]
    assert "grenzen.cli._main" in GRAPH["grenzen.cli"]
