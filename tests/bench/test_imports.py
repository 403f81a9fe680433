"""No import cycles anywhere in ``synapt``, imports inside functions included, so a cycle cannot
hide behind a function-local import. Read from the source, so a cycle fails here and not at some
later import order."""

from __future__ import annotations

import ast
from pathlib import Path

import synapt

SRC = Path(synapt.__file__).parent


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``synapt`` package."""
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imported(path: Path, modules: dict[str, Path], *, inside_functions: bool) -> set[str]:
    """The ``synapt`` modules ``path`` imports: at module level, or anywhere in it.

    ``from synapt.bench import bias_stage`` names the module ``synapt.bench.bias_stage``; ``from
    synapt.bench.curate import Source`` names ``synapt.bench.curate``. Imports under ``if TYPE_CHECKING``
    never run and do not count.
    """
    tree = ast.parse(path.read_text())
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
               for node in ast.walk(block)}
    nodes = ast.walk(tree) if inside_functions else iter(tree.body)
    found = set()
    for node in nodes:
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in modules}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first search meets, each as [a, b, ..., a]."""
    state, path, found = {}, [], []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path):
    pkg = tmp_path / "synapt" / "bench"
    pkg.mkdir(parents=True)
    for name in ("__init__", "a", "b"):
        (pkg / f"{name}.py").write_text("")
    (pkg / "a.py").write_text("from synapt.bench.b import g\n")
    (pkg / "b.py").write_text("def g():\n    from synapt.bench import a\n")
    modules = module_names(tmp_path / "synapt")
    top = {m: imported(p, modules, inside_functions=False) for m, p in modules.items()}
    anywhere = {m: imported(p, modules, inside_functions=True) for m, p in modules.items()}
    assert cycles(top) == []
    assert cycles(anywhere) == [["synapt.bench.a", "synapt.bench.b", "synapt.bench.a"]]


def test_no_import_cycle_among_bench_modules_even_through_function_local_imports():
    modules = module_names(SRC)
    bench = {m: p for m, p in modules.items() if m.startswith("synapt.bench.")}
    assert {"synapt.bench.job", "synapt.bench.runner", "synapt.bench.bias_stage", "synapt.bench.training"} <= set(bench)
    graph = {m: imported(p, modules, inside_functions=True) & set(bench) for m, p in bench.items()}
    assert "synapt.bench.training" in graph["synapt.bench.bias_stage"]  # the edge that once went both ways
    assert cycles(graph) == []


def test_no_import_cycle_among_module_level_imports_of_synapt():
    modules = module_names(SRC)
    graph = {m: imported(p, modules, inside_functions=False) - {m} for m, p in modules.items()}
    assert cycles(graph) == []


def test_no_import_cycle_anywhere_in_synapt_even_through_function_local_imports():
    # sim.dataset <-> sim.ray_backend and train.loop <-> train.probe were the last two: the Ray task
    # is passed in, and lr_at lives in train.schedule.
    modules = module_names(SRC)
    graph = {m: imported(p, modules, inside_functions=True) - {m} for m, p in modules.items()}
    assert "synapt.train.schedule" in graph["synapt.train.probe"] and "synapt.sim.dataset" not in graph["synapt.sim.ray_backend"]
    assert cycles(graph) == []
