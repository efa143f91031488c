"""The Makefile's set-up on a broken machine, and `make bench` with a bad RUNS: one line that says what to do.

Each case runs make on a copy of the Makefile in a temporary folder, with fakes instead of the real tools.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import executable

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
SETUP_INPUTS = ["Makefile", "requirements.txt", "requirements-plan.txt", "requirements-dev.txt",
                "requirements-dev.lock", "package.json", "package-lock.json"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in SETUP_INPUTS:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def make(project: Path, *args: str, system_path: str = "") -> subprocess.CompletedProcess:
    """make with only the fakes in project/bin on PATH (and system_path after them)."""
    return subprocess.run([MAKE, "--no-print-directory", *args], cwd=project, capture_output=True, text=True,
                          timeout=60, env={"PATH": f"{project / 'bin'}:{system_path}", "HOME": str(project)})


def installed(project: Path, folder: str) -> None:
    """A set-up step done earlier: its marker newer than its inputs."""
    (project / folder).mkdir(exist_ok=True)
    (project / folder / ".installed").touch()


def error_line(result: subprocess.CompletedProcess) -> str:
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("error: ")]
    return line


def test_half_created_venv_is_recreated_and_a_failure_says_how_to_fix_it(project):
    (project / ".venv" / "bin").mkdir(parents=True)
    executable(project / ".venv" / "bin" / "python", "exit 0")  # the interpreter without pip
    python = executable(project / "fake-python3",
                        'echo "The virtual environment was not created successfully because ensurepip is not '
                        'available." >&2; exit 1')
    result = make(project, ".venv/.installed", f"PYTHON={python}")
    assert result.returncode != 0
    assert result.stdout.startswith("setup: installing the Python packages into .venv (about a minute")
    assert error_line(result) == (f"error: '{python} -m venv' could not create .venv: install the venv module "
                                  "(Debian/Ubuntu: sudo apt install python3-venv) and make again")


def test_node_missing_after_npm_ci_without_scripts_is_detected(project):
    installed(project, ".venv")
    installed(project, "node_modules")
    result = make(project, "setup")
    assert result.returncode != 0
    assert error_line(result).startswith("error: node_modules/.bin/node is missing: npm ran with install scripts "
                                         "disabled (npm config get ignore-scripts)")


def test_npm_missing_is_one_line(project):
    installed(project, ".venv")
    result = make(project, "setup")
    assert result.returncode != 0
    assert error_line(result).startswith("error: npm is not on PATH: install Node.js with npm")


def test_setup_says_what_it_installs(project):
    installed(project, ".venv")
    executable(project / "bin" / "npm", "mkdir -p node_modules/.bin && ln -s /bin/true node_modules/.bin/node")
    result = make(project, "setup", system_path="/usr/bin:/bin")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "setup: installing the pinned CDK CLI and Node.js into node_modules (about 30 s" in result.stdout


@pytest.mark.parametrize("runs", ["0", "abc", "-1"])
def test_bench_with_bad_runs_is_one_line(runs):
    result = subprocess.run([sys.executable, "benchmarks/synth_time.py", runs], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: RUNS={runs}: give a whole number of runs from 1 to 50, e.g. make bench RUNS=5\n"
