"""The README and docs/ pages: true to the code, self-contained, and with examples that work."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.setting_table import DEFAULTS, SETTINGS
from eks_scaling.system_fit import check_system_fit
from eks_scaling.versions import MATRIX
from planner.cli.main import parse_args
from tests.context import with_defaults
from tests.docs import DOCS, ROOT, anchors, code_lines, examples, pages, prose, read, table_rows
from tests.synth import manifest_objects

PAGE_IDS = [str(page.relative_to(ROOT)) for page in pages()]
# Things a clone of this repository does not have: the design notes it was built from.
OUTSIDE_REFERENCES = re.compile(r"(?-i:\bARCHITECTURE\.md)|design card|house rule|\.\./shared", re.I)


def test_the_readme_opens_with_the_two_commands():
    first_screen = "\n".join(read("README.md").splitlines()[:40])
    assert "make synth" in first_screen and "make test" in first_screen


def test_settings_table_lists_every_setting_with_its_default():
    rows = table_rows(read("docs/settings.md"), "`")
    documented = {cell.strip("`") for cell in rows if cell.strip("`") in SETTINGS}
    assert documented == set(SETTINGS)
    for key in SETTINGS:
        assert rows[f"`{key}`"][1] == f"`{json.dumps(DEFAULTS[key])}`", key


@pytest.mark.parametrize("version", list(MATRIX))
def test_matrix_table_matches_the_pins(version):
    text = read("docs/versions.md")
    row = MATRIX[version]
    cells = table_rows(text, "1.")[version]
    assert cells[1] == f"`lambda-layer-kubectl-v{row.minor}`"
    assert cells[2:7] == [row.cluster_autoscaler_image_tag, row.karpenter, row.keda_chart,
                          row.metrics_server_chart, f"{row.prometheus_chart} / {row.prometheus_adapter_chart}"]
    assert f"(chart {row.cluster_autoscaler_chart})" in text


def test_matrix_table_has_no_extra_rows():
    assert set(table_rows(read("docs/versions.md"), "1.")) == set(MATRIX)


@pytest.mark.parametrize("page", pages(), ids=PAGE_IDS)
def test_every_relative_link_resolves(page):
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in anchors(resolved.read_text()), f"{page.name}: {target}"


def test_every_docs_page_is_linked_from_the_readme():
    linked = set(re.findall(r"\]\(docs/([^)#]+)", read("README.md")))
    assert linked == {page.name for page in DOCS.glob("*.md")}


def _repository_text_files():
    try:
        names = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
        files = [ROOT / name for name in names]
    except (OSError, subprocess.CalledProcessError):  # a source archive without .git
        skipped = {".venv", "node_modules", "cdk.out", ".git", "plan", ".pytest_cache"}
        files = [path for path in ROOT.rglob("*") if not skipped & set(path.relative_to(ROOT).parts)]
    for path in files:
        if path.is_file() and path.suffix in {".md", ".py", ".yaml", ".json", ".txt", ""}:
            yield path


def test_nothing_refers_to_files_outside_the_repository():
    this_file = ROOT / "tests" / "test_docs.py"
    found = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in _repository_text_files()
             if path != this_file for match in OUTSIDE_REFERENCES.finditer(path.read_text(errors="replace"))]
    assert not found


def _make_targets() -> set[str]:
    makefile = read("Makefile")
    phony = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    return set(phony.replace("\\\n", " ").split())


@pytest.mark.parametrize("page", pages(), ids=PAGE_IDS)
def test_every_make_target_and_module_named_exists(page):
    for line in code_lines(page.read_text()):
        for target in re.findall(r"\bmake ([a-z][\w-]*)", line):
            assert target in _make_targets(), f"{page.name}: make {target}"
        for module in re.findall(r"\bpython3? -m ([\w.]+)", line):
            assert importlib.util.find_spec(module), f"{page.name}: python -m {module}"


def test_every_make_target_is_documented():
    table = table_rows(read("docs/testing.md"), "`make ")
    assert {cell.strip("`").removeprefix("make ") for cell in table} == _make_targets()


@pytest.mark.parametrize("example", examples(), ids=lambda example: f"{example.page}: {example.command}")
def test_every_documented_setting_example_works_or_fails_as_shown(example):
    for settings in example.settings:
        if example.error is None:
            check_system_fit(parse_config(with_defaults(settings)))
        else:
            with pytest.raises(ConfigError) as error:
                parse_config(with_defaults(settings))
            shown = example.error.split("...")[0]
            assert str(error.value).startswith(shown), (str(error.value), shown)


@pytest.mark.parametrize("page", pages(), ids=PAGE_IDS)
def test_every_documented_planner_command_parses(page):
    for line in code_lines(page.read_text()):
        for args in re.findall(r'PLAN_ARGS="([^"]*)"', line):
            parse_args(shlex.split(args))  # a flag or form the planner does not take raises InputError


def test_the_examples_are_found():
    """The extraction itself: the README's examples and an error example of the settings page."""
    found = examples()
    assert any(example.page == "README.md" and example.settings == ({"nodeAutoscaler": "cluster-autoscaler",
                                                                     "testerReplicas": "150"},) for example in found)
    assert any(example.error for example in found if example.page == "docs/settings.md")


def test_the_layout_names_every_module():
    layout = read("docs/architecture.md").split("## Layout", 1)[1]
    modules = [path for folder in ("eks_scaling", "stacks", "cdk_constructs", "scripts", "planner", "benchmarks")
               for path in (ROOT / folder).rglob("*.py") if path.name != "__init__.py"]
    missing = [str(path.relative_to(ROOT)) for path in modules if path.name not in layout]
    folders = {path.parent for path in modules} - {ROOT / folder for folder in ("eks_scaling", "stacks",
                                                                               "cdk_constructs", "scripts", "planner")}
    missing += [str(folder.relative_to(ROOT)) for folder in folders if f"{folder.name}/" not in layout]
    assert not missing


def test_the_python_example_of_the_planner_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", read("docs/planner.md"), re.S)
    assert blocks, "docs/planner.md has no Python example"
    for block in blocks:
        exec(compile(block, "docs/planner.md", "exec"), {})
    printed = capsys.readouterr().out
    assert re.match(r"\d+\.\d+\n", printed) and "time to capacity" in printed


def test_no_table_row_is_kept_in_two_places():
    """One copy of each table (the image table drifted between two pages): a row lives on one page only."""
    seen: dict[str, str] = {}
    for page in pages():
        for line in read_rows(page):
            assert seen.setdefault(line, page.name) == page.name, f"{line!r} is on {seen[line]} and {page.name}"


def read_rows(page) -> list[str]:
    return [line.strip() for line in prose(page.read_text()).splitlines()
            if line.startswith("| ") and len(line) > 40 and not set(line) <= set("|-: ")]


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_no_page_says_a_thing_twice_in_a_row(page):
    """Neither a doubled phrase ("the stack outputs X the stack outputs X") nor a sentence said twice."""
    text = re.sub(r"\s+", " ", prose(page.read_text()))
    doubled = re.search(r"\b((?:\S+ ){4,}?)\1", text + " ", re.IGNORECASE)
    assert not doubled, doubled.group(0)
    sentences = [sentence for sentence in re.split(r"(?<=[.!?]) ", text) if len(sentence) > 40]
    assert len(sentences) == len(set(sentences)), {s for s in sentences if sentences.count(s) > 1}


# Deployments that charts name, by the chart's own rule at the pinned version: cluster-autoscaler 9.59.0
# names it <release>-<cloudProvider>-cluster-autoscaler unless fullnameOverride is set (FACTS.md, review).
CHART_DEPLOYMENTS = {"cluster-autoscaler-aws-cluster-autoscaler"}


def test_every_deployment_the_docs_name_is_one_the_app_deploys(synth):
    named = {match for page in pages() for line in code_lines(read(page))
             for match in re.findall(r"(?:deployment/|scale deployment )([a-z0-9-]+)", line)}
    deployed = {obj["metadata"]["name"] for template in synth("k8s-1.36-both-arm-public").template_files().values()
                for resource in template["Resources"].values()
                if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
                for obj in manifest_objects(resource) if obj["kind"] == "Deployment"}
    assert named and not named - deployed - CHART_DEPLOYMENTS, named - deployed - CHART_DEPLOYMENTS
