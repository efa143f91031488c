"""A user who installs requirements-plan.txt can plan: every third-party module the planner imports
(and the project code it imports) comes from it; cdk synth's requirements.txt stays without the plot."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = {"planner", "eks_scaling", "stacks", "cdk_constructs"}


def _requirements(name: str) -> set[str]:
    """Distribution names (normalized) a requirements file installs, following -r."""
    found = set()
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found |= _requirements(line[3:].strip())
        elif line:
            found.add(_normalized(re.split(r"[=<>~!\[; ]", line)[0]))
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imports(path: Path) -> set[str]:
    """Dotted names of the modules a file imports (its from-imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _third_party_imports_of_the_planner() -> set[str]:
    """Top-level third-party modules imported by planner/ and the project modules it reaches."""
    queue, seen, third_party = sorted((ROOT / "planner").rglob("*.py")), set(), set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top in LOCAL:
                parts = name.split(".")
                for end in range(1, len(parts) + 1):
                    module = ROOT.joinpath(*parts[:end])
                    queue += [p for p in (module.with_suffix(".py"), module / "__init__.py") if p.exists()]
            elif top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    return third_party


def test_the_planners_imports_come_from_requirements_plan():
    modules = _third_party_imports_of_the_planner()
    assert {"matplotlib", "yaml"} <= modules  # the walk reaches the plot and the manifest loader
    distributions = packages_distributions()
    needed = {_normalized(distributions[module][0]) for module in modules}
    assert needed - _requirements("requirements-plan.txt") == set()


def test_synth_requirements_stay_without_the_plotting_library():
    assert "matplotlib" not in _requirements("requirements.txt")
    assert _requirements("requirements.txt") < _requirements("requirements-plan.txt") <= \
        _requirements("requirements-dev.txt")


def test_make_plan_installs_requirements_plan():
    makefile = (ROOT / "Makefile").read_text()
    installed = re.search(r"^\$\(VENV\)/\.installed: (.*)$", makefile, re.M).group(1).split()
    assert "requirements-plan.txt" in installed
    assert re.search(r"^plan: setup", makefile, re.M)
