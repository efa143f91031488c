"""`make doctor`: one screen of what the next step needs, each line ok or what to do.

Python and Node versions, the venv, the pinned CDK CLI; then, when the AWS CLI is there, credentials and
region; then, when the configured cluster is deployed, kubectl access to it. Standard library only: it
runs with the system Python, before (or without) the venv. Exit code 1 when any line says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from eks_scaling.cdk_json import CdkJsonError, cdk_json_context, package_pins, read_json_file
from scripts.aws_cli import AwsCliError, aws
from scripts.check_aws import check, region

ROOT = Path(__file__).resolve().parent.parent
MINIMUM_PYTHON = (3, 11)  # the README's prerequisite (the test tools use 3.11's standard library)
REQUIREMENTS = ("requirements.txt", "requirements-plan.txt", "requirements-dev.txt")
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Line:
    ok: bool | None  # None: not checked, because an earlier line is not ok or nothing is deployed
    topic: str
    detail: str

    def __str__(self) -> str:
        return f"{ {True: 'ok', False: 'todo', None: 'skip'}[self.ok]:<5} {self.topic}: {self.detail}"


def python_line(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Line:
    shown = ".".join(map(str, version))
    if version[:2] < MINIMUM_PYTHON:
        wanted = ".".join(map(str, MINIMUM_PYTHON))
        return Line(False, "Python", f"{shown} is too old: install Python {wanted} or newer, then make with "
                                     f"PYTHON=python{wanted} (or newer)")
    return Line(True, "Python", shown)


def _output(*command: str) -> str | None:
    """The command's stdout, or None when it is missing or fails."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def node_line(root: Path) -> Line:
    pinned = package_pins(root)["node"]
    node = root / "node_modules" / ".bin" / "node"
    if not (root / "node_modules" / ".installed").exists():
        return Line(False, "Node.js", f"the pinned Node {pinned} is not installed yet: run make setup")
    if not os.access(node, os.X_OK):
        return Line(False, "Node.js", "node_modules/.bin/node is missing (npm ran with install scripts disabled): "
                                      "npm config set ignore-scripts false && rm -rf node_modules && make setup")
    found = (_output(str(node), "--version") or "?").lstrip("v")
    if found != pinned:
        return Line(False, "Node.js", f"node_modules has Node {found}, package.json pins {pinned}: run make setup")
    return Line(True, "Node.js", f"{found} (node_modules, as package.json pins)")


def venv_line(root: Path) -> Line:
    venv = root / ".venv"
    marker = venv / ".installed"
    if not os.access(venv / "bin" / "pip", os.X_OK):
        fix = "run make setup" if not venv.exists() else \
            "half-created (no pip): install the venv module (Debian/Ubuntu: sudo apt install python3-venv), make setup"
        return Line(False, "venv", f".venv: {fix}")
    if not marker.exists() or any((root / name).stat().st_mtime > marker.stat().st_mtime for name in REQUIREMENTS):
        return Line(False, "venv", ".venv is older than the requirements files: run make setup")
    return Line(True, "venv", ".venv has the pinned Python packages")


def cli_line(root: Path) -> Line:
    pinned = package_pins(root)["aws-cdk"]
    installed = root / "node_modules" / "aws-cdk" / "package.json"
    data = read_json_file(installed) if installed.exists() else None
    found = data.get("version") if isinstance(data, dict) else None
    if found != pinned:
        return Line(False, "CDK CLI", f"aws-cdk {pinned} is pinned but {found or 'none'} is installed: run make setup")
    return Line(True, "CDK CLI", f"aws-cdk {found} (node_modules)")


def aws_line(root: Path) -> Line:
    try:
        return Line(True, "AWS", check("", root / "cdk.json", timeout=TIMEOUT_SECONDS).removeprefix("AWS: "))
    except AwsCliError as error:
        return Line(False, "AWS", f"{error} (needed only to deploy)")


def kubectl_line(root: Path) -> Line:
    """kubectl access to the cluster cdk.json configures, if it is deployed where the credentials point."""
    cluster = cdk_json_context(root / "cdk.json").get("clusterName")
    if not isinstance(cluster, str) or not cluster:
        return Line(False, "kubectl", f"{root / 'cdk.json'}: no clusterName setting (docs/settings.md)")
    name, _ = region("", root / "cdk.json") or ("", "")
    try:
        found = aws("eks", "describe-cluster", "--name", cluster, "--region", name, timeout=TIMEOUT_SECONDS,
                    otherwise="")
    except AwsCliError as error:
        if "ResourceNotFoundException" in str(error):
            return Line(None, "kubectl", f"cluster {cluster} is not deployed in {name} (make deploy)")
        return Line(False, "kubectl", str(error))
    if not shutil.which("kubectl"):
        return Line(False, "kubectl", "kubectl is not on PATH: install it, within one minor of the cluster's version")
    arn = found["cluster"]["arn"]
    if arn not in (_output("kubectl", "config", "get-contexts", "-o", "name") or "").split():
        return Line(False, "kubectl", f"no kubeconfig context for {cluster}: aws eks update-kubeconfig "
                                      f"--name {cluster} --region {name}")
    if _output("kubectl", "--context", arn, "auth", "can-i", "list", "deployments", "--all-namespaces") != "yes":
        return Line(False, "kubectl", f"no Kubernetes access to {cluster}: add your IAM role or user ARN to "
                                      "adminPrincipalArns and make deploy")
    return Line(True, "kubectl", f"access to {cluster} (context {arn})")


def _checked(line: Callable[[Path], Line], topic: str, root: Path) -> Line:
    """The line, or what to fix in the JSON file it reads."""
    try:
        return line(root)
    except CdkJsonError as error:
        return Line(False, topic, str(error))


def lines(root: Path = ROOT) -> list[Line]:
    found = [python_line(), *(_checked(line, topic, root) for line, topic in (
        (node_line, "Node.js"), (venv_line, "venv"), (cli_line, "CDK CLI"), (aws_line, "AWS")))]
    if found[-1].ok:
        found.append(_checked(kubectl_line, "kubectl", root))
    else:
        found.append(Line(None, "kubectl", "needs AWS credentials first"))
    return found


def main(root: Path = ROOT) -> int:
    found = lines(root)
    print("\n".join(map(str, found)))
    return 1 if any(line.ok is False for line in found) else 0


if __name__ == "__main__":
    sys.exit(main())
