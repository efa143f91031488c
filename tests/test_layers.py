"""The repository's layers: imports run one way only (docs/architecture.md, "Layers").

eks_scaling (the domain) <- cdk_constructs <- stacks <- app.py and scripts; the planner stands beside the
constructs and stacks and reads only the domain. Inside the planner: engine <- scalers <- simulation <-
outputs <- prometheus <- cli. Checked on the source (every import statement, those inside functions too),
so an import that would run only on some path is caught as well.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("eks_scaling", "cdk_constructs", "stacks", "planner", "scripts", "benchmarks")
# What each part may import, besides itself. The planner's parts are listed bottom-up.
PLANNER_PARTS = ("planner.engine", "planner.scalers", "planner.simulation", "planner.outputs",
                 "planner.prometheus", "planner.cli", "planner.__main__")
ALLOWED = {
    "eks_scaling": set(),
    "cdk_constructs": {"eks_scaling"},
    "stacks": {"eks_scaling", "cdk_constructs"},
    "planner": {"eks_scaling"},
    "scripts": {"eks_scaling", "cdk_constructs", "stacks", "planner"},
    "benchmarks": {"eks_scaling", "cdk_constructs", "stacks"},
    "app": {"eks_scaling", "cdk_constructs", "stacks"},
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    found = {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}
    found["app"] = ROOT / "app.py"
    return found


SOURCES = sources()


def imports(path: Path) -> set[str]:
    """The project modules a source file imports (absolute imports; the project uses no relative ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in SOURCES}
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def planner_part(module: str) -> int:
    for rank, part in enumerate(PLANNER_PARTS):
        if module == part or module.startswith(part + "."):
            return rank
    raise AssertionError(f"{module} belongs to no part of the planner; add it to PLANNER_PARTS")


def upward(module: str, imported: str) -> bool:
    if top(imported) != top(module):
        return top(imported) not in ALLOWED[top(module)]
    if top(module) == "planner" and module != "planner" and imported != "planner":
        return planner_part(imported) > planner_part(module)
    return False


def test_every_module_is_in_a_layer():
    assert {top(module) for module in SOURCES} <= set(ALLOWED)


def test_no_import_runs_up_a_layer():
    found = [f"{module} imports {imported}" for module, path in SOURCES.items() for imported in imports(path)
             if upward(module, imported)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("module", "imported", "expected"), [
    ("cdk_constructs.podinfo", "stacks.eks_scaling_stack", True),
    ("eks_scaling.settings", "planner.engine.workloads", True),
    ("planner.engine.cluster", "cdk_constructs.prometheus", True),
    ("planner.engine.cluster", "planner.scalers.karpenter", True),
    ("planner.outputs.table", "planner.simulation", False),
    ("stacks.karpenter_stack", "cdk_constructs.karpenter", False),
])
def test_the_rule_itself(module, imported, expected):
    assert upward(module, imported) is expected


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle a depth-first walk meets, as a -> b -> a."""
    found, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                found.append(" -> ".join(trail[trail.index(imported):] + [imported]))
            elif imported not in state:
                visit(imported, trail + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    # A package that imports its own modules (its __init__) makes no cycle with them.
    graph = {module: {imported for imported in imports(path)
                      if imported != module and not imported.startswith(module + ".")}
             for module, path in SOURCES.items()}
    found = cycles(graph)
    assert not found, "\n".join(found)


def test_the_domain_and_the_planner_load_without_aws_cdk_lib():
    names = sorted(module for module in SOURCES if top(module) in ("eks_scaling", "planner")
                   and not module.endswith("__main__"))
    code = f"import importlib, sys\nfor name in {names!r}: importlib.import_module(name)\n" \
           "sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


def test_each_scaler_has_its_own_module():
    scalers = {path.stem for path in (ROOT / "planner" / "scalers").glob("*.py")}
    assert {"hpa", "metrics_pipeline", "keda", "karpenter", "cluster_autoscaler"} <= scalers


@pytest.mark.parametrize("package", sorted({path.parent for path in SOURCES.values()} - {ROOT}),
                         ids=lambda path: str(path.relative_to(ROOT)))
def test_each_folder_says_what_lives_there(package):
    init = package / "__init__.py"
    assert init.exists() and ast.get_docstring(ast.parse(init.read_text())), f"{init}: give it a docstring"


def test_no_source_module_is_too_long():
    long = [f"{path.relative_to(ROOT)}: {lines} lines" for path in SOURCES.values()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)
