"""`make doctor` (scripts/doctor.py) on a healthy fake project, and with each thing it checks broken.

The project folder, `aws` and `kubectl` are fakes: a temporary tree with the files set-up leaves, and
scripts on PATH that answer as the real tools do.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from scripts import doctor
from tests.context import write_cdk_json
from tests.fakes import executable, fake_tool

ROOT = Path(__file__).resolve().parent.parent
PINS = json.loads((ROOT / "package.json").read_text())["devDependencies"]
ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/demo"
IDENTITY = '{"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/dev"}'


def fake_aws(bin_dir: Path, *, identity: str = f"echo '{IDENTITY}'",
             cluster: str = f"""echo '{{"cluster": {{"arn": "{ARN}"}}}}'""") -> None:
    fake_tool(bin_dir, "aws", {"configure get": "echo eu-west-1", "sts get-caller-identity": identity,
                               "eks describe-cluster": cluster})


def fake_kubectl(bin_dir: Path, *, contexts: str = ARN, can_i: str = "yes") -> None:
    fake_tool(bin_dir, "kubectl", {"config get-contexts": f'echo "{contexts}"',
                                   f"--context {ARN}": f"echo {can_i}; [ {can_i} = yes ]"})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A set-up project with a deployed cluster and kubectl access: every line ok."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("package.json", *doctor.REQUIREMENTS):
        shutil.copy(ROOT / name, root / name)
    write_cdk_json(root, {"clusterName": "demo", "account": "", "region": ""})
    executable(root / ".venv" / "bin" / "pip", "exit 0")
    (root / ".venv" / ".installed").touch()
    executable(root / "node_modules" / ".bin" / "node", f"echo v{PINS['node']}")
    (root / "node_modules" / ".installed").touch()
    (root / "node_modules" / "aws-cdk").mkdir()
    (root / "node_modules" / "aws-cdk" / "package.json").write_text(json.dumps({"version": PINS["aws-cdk"]}))
    fake_aws(tmp_path / "bin")
    fake_kubectl(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    return root


def statuses(root: Path) -> dict[str, tuple[bool | None, str]]:
    return {line.topic: (line.ok, line.detail) for line in doctor.lines(root)}


def test_a_healthy_project_is_all_ok_on_one_screen(project, capsys):
    found = statuses(project)
    assert {topic: ok for topic, (ok, _) in found.items()} == {
        "Python": True, "Node.js": True, "venv": True, "CDK CLI": True, "AWS": True, "kubectl": True}
    assert found["AWS"][1] == "account 123456789012 as arn:aws:iam::123456789012:user/dev, region eu-west-1 " \
                              "(from the AWS profile)"
    assert found["kubectl"][1] == f"access to demo (context {ARN})"
    assert doctor.main(project) == 0
    assert len(capsys.readouterr().out.splitlines()) == 6


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text)


BIN = Path("..") / "bin"
BREAKAGES: dict[str, tuple[Callable[[Path], None], str, bool | None, str]] = {
    "node not installed": (lambda root: (root / "node_modules" / ".installed").unlink(),
                           "Node.js", False, f"the pinned Node {PINS['node']} is not installed yet: run make setup"),
    "node not unpacked": (lambda root: (root / "node_modules" / ".bin" / "node").unlink(),
                          "Node.js", False, "npm config set ignore-scripts false && rm -rf node_modules && make setup"),
    "node of another version": (lambda root: executable(root / "node_modules" / ".bin" / "node", "echo v20.1.0"),
                                "Node.js", False, f"node_modules has Node 20.1.0, package.json pins {PINS['node']}"),
    "no venv": (lambda root: shutil.rmtree(root / ".venv"), "venv", False, ".venv: run make setup"),
    "venv without pip": (lambda root: (root / ".venv" / "bin" / "pip").unlink(),
                         "venv", False, "half-created (no pip): install the venv module (Debian/Ubuntu: sudo apt "
                                        "install python3-venv), make setup"),
    "requirements changed": (lambda root: os.utime(root / "requirements.txt", (2**31, 2**31)),
                             "venv", False, ".venv is older than the requirements files: run make setup"),
    "another CLI": (lambda root: _rewrite(root / "node_modules" / "aws-cdk" / "package.json", '{"version": "2.1.0"}'),
                    "CDK CLI", False, f"aws-cdk {PINS['aws-cdk']} is pinned but 2.1.0 is installed: run make setup"),
    "no aws": (lambda root: (root / BIN / "aws").unlink(),
               "AWS", False, "the AWS CLI (`aws`) is not on PATH: install AWS CLI v2"),
    "no credentials": (lambda root: fake_aws(root / BIN, identity='echo "Unable to locate credentials" >&2; exit 253'),
                       "AWS", False, "Unable to locate credentials; configure credentials with `aws configure`"),
    "not deployed": (lambda root: fake_aws(root / BIN, cluster='echo "An error occurred (ResourceNotFoundException) '
                                                               'when calling the DescribeCluster operation" >&2; exit 254'),
                     "kubectl", None, "cluster demo is not deployed in eu-west-1 (make deploy)"),
    "no kubectl": (lambda root: (root / BIN / "kubectl").unlink(),
                   "kubectl", False, "kubectl is not on PATH: install it"),
    "no kubeconfig context": (lambda root: fake_kubectl(root / BIN, contexts="other"),
                              "kubectl", False, "aws eks update-kubeconfig --name demo --region eu-west-1"),
    "no access entry": (lambda root: fake_kubectl(root / BIN, can_i="no"),
                        "kubectl", False, "add your IAM role or user ARN to adminPrincipalArns and make deploy"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_each_problem_is_one_line_that_says_what_to_do(project, breakage):
    break_it, topic, ok, fix = BREAKAGES[breakage]
    break_it(project)
    found = statuses(project)
    assert found[topic][0] is ok and fix in found[topic][1], found[topic]
    later_skipped = {"AWS": "kubectl"}.get(topic)
    assert all(status is True for name, (status, _) in found.items() if name not in (topic, later_skipped)), found
    assert doctor.main(project) == (1 if ok is False else 0)


def test_an_old_python_says_which_to_install():
    assert str(doctor.python_line((3, 10, 4))) == \
        "todo  Python: 3.10.4 is too old: install Python 3.11 or newer, then make with PYTHON=python3.11 (or newer)"
