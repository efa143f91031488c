"""Every bad input to the planner's command line gets one line on stderr and exit 2: no traceback, and
no plan computed from a value that makes no sense."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eks_scaling.cdk_json import CDK_JSON
from planner.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("planner_defaults")


def one_line_error(capsys, argv: list[str]) -> str:
    """Run the planner in-process (an uncaught exception fails the test); the single stderr line."""
    assert main([*argv, "--quiet", "--no-plot"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--hours", "nan"], "--hours must be a positive finite number, got 'nan'"),
    (["--hours", "inf"], "--hours must be a positive finite number, got 'inf'"),
    (["--hours", "-1"], "--hours must be a positive finite number, got '-1'"),
    (["--hours", "0"], "--hours must be a positive finite number, got '0'"),
    (["--hours", "two"], "--hours takes a number, got 'two'"),
    (["--hours", "0.0001", "--step", "5"], "--hours 0.0001 is shorter than one step (5 s)"),
    (["--hours", "1e9"], "--hours 1e9 runs 1000000000 h; a plan covers at most 744 h (31 days"),
    (["--hours", "745"], "--hours 745 runs 745 h; a plan covers at most 744 h"),
    (["--step", "nan"], "--step must be a positive finite number, got 'nan'"),
    (["--step=-inf"], "--step must be a positive finite number, got '-inf'"),
    (["--step", "0"], "--step must be a positive finite number, got '0'"),
    (["--step", "0.05"], "--step 0.05 is finer than any controller acts; the step is at least 0.1 s"),
    # Coarser than the HPA's 15 s sync, or off the controllers' periods: refused, not silently late.
    (["--step", "20"], "--step 20 does not divide the HPA's sync period (15 s)"),
    (["--step", "15"], "--step 15 does not divide Cluster Autoscaler's scan period (10 s)"),
    (["--step", "7"], "--step 7 does not divide the HPA's sync period (15 s)"),
    (["--step", "3"], "--step 3 does not divide Cluster Autoscaler's scan period (10 s)"),
    (["--seed", "x"], "argument --seed: expected a whole number, got 'x' (see python -m planner --help)"),
    (["--scenario", "weekly"], "argument --scenario: invalid choice: 'weekly'"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["-c", "nodeAutoscalr=both"], "unknown setting nodeAutoscalr (did you mean nodeAutoscaler?)"),
    (["--compare", "nodeAutoscaler"], "--compare takes KEY=VALUE, got 'nodeAutoscaler'"),
    (["--compare", " "], "--compare takes KEY=VALUE, got ''"),
    (["--compare", "nodeAutoscaler=banana"], "nodeAutoscaler"),
    (["--compare", "nodeAutoscaler=both", "--compare", "nodeAutoscaler=both"],
     "--compare 'nodeAutoscaler=both' is given twice"),
    (["--latency", "ca-ready=90s"], "--latency ca-ready: unknown latency; known: karpenter-node-ready, ca-node-ready,"),
    (["--latency", "ca-node-ready"], "--latency takes NAME=DURATION, e.g. ca-node-ready=90s; got 'ca-node-ready'"),
    (["--latency", "ca-node-ready=90"], "--latency ca-node-ready: '90' is not a duration (e.g. 45s, 2m, 1m30s)"),
    (["--latency", "ca-node-ready=fast"], "--latency ca-node-ready: 'fast' is not a duration"),
    (["--latency", "ca-node-ready=-5s"], "--latency ca-node-ready: '-5s' is not a duration"),
    (["--latency", "ca-node-ready=1m30"], "--latency ca-node-ready: '1m30' is not a duration"),
    (["--latency", "ca-node-ready="], "--latency ca-node-ready: '' is not a duration"),
    (["--latency", "ca-node-ready=1s", "--latency", "ca-node-ready=2s"], "--latency ca-node-ready is given twice"),
])
def test_bad_flag(tmp_path, capsys, args, message):
    assert message in one_line_error(capsys, [*args, "--out", str(tmp_path)])


def test_step_that_divides_every_controller_period_is_accepted(tmp_path, capsys):
    assert main(["--step", "2.5", "--hours", "0.1", "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("time_s,php-apache\n0,nan\n", "load.csv:2: php-apache must be a non-negative number, got nan"),
    ("time_s,php-apache\n0,inf\n", "load.csv:2: php-apache must be a non-negative number, got inf"),
    ("time_s,php-apache\nnan,1\n", "load.csv:2: time_s must be a non-negative number, got nan"),
    ("time_s,php-apache\n-60,1\n", "load.csv:2: time_s must be a non-negative number, got -60"),
    ("time_s,php-apache\n0,1\n60,-5\n", "load.csv:3: php-apache must be a non-negative number, got -5"),
    ("time_s,php-apache\n60,1\n30,2\n", "load.csv:3: time_s must increase (got 30 after 60)"),
    ("time_s,php-apache\n0,1\n0,2\n", "load.csv:3: time_s must increase (got 0 after 0)"),
    ("time_s,inflate\n0,2.5\n", "load.csv:2: inflate is a replica count, a whole number; got 2.5"),
    ("time_s,tester\n0,1e-3\n", "load.csv:2: tester is a replica count, a whole number; got 1e-3"),
    ("time_s,php-apache,php-apache\n0,1,2\n", "load.csv:1: workload php-apache has two columns"),
    ("time_s,php-apache\n0,fast\n", "load.csv:2: php-apache is not a number: 'fast'"),
])
def test_bad_csv_values(tmp_path, capsys, text, message):
    path = tmp_path / "load.csv"
    path.write_text(text)
    assert message in one_line_error(capsys, ["--csv", str(path), "--out", str(tmp_path)])


@pytest.mark.parametrize(("data", "message"), [
    ("time_s,php-apache\n0,1\n".encode("utf-16"), "load.csv: a binary file, not a CSV load profile"),
    (b"time_s,php-apache\n0,\xe9\n", "load.csv: not UTF-8 text (byte 20); save it as UTF-8 CSV"),
    (bytes(range(256)), "load.csv: a binary file"),
])
def test_csv_that_is_not_text(tmp_path, capsys, data, message):
    path = tmp_path / "load.csv"
    path.write_bytes(data)
    assert message in one_line_error(capsys, ["--csv", str(path), "--out", str(tmp_path)])


def test_csv_longer_than_a_plan_covers(tmp_path, capsys):
    path = tmp_path / "load.csv"
    path.write_text("time_s,php-apache\n0,1\n1e12,2\n")
    assert f"{path}: the profile runs " in one_line_error(capsys, ["--csv", str(path), "--out", str(tmp_path)])


def test_csv_with_a_byte_order_mark_is_read(tmp_path, capsys):
    path = tmp_path / "load.csv"
    path.write_bytes("time_s,php-apache\n0,1\n".encode("utf-8-sig"))
    assert main(["--csv", str(path), "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0


@pytest.mark.parametrize(("text", "message"), [
    ('["m5.large", 0.1]', 'prices.json: must be a JSON object of USD/hour by instance type, e.g. {"m5.large": 0.096}, '
                          "got a list"),
    ('{"m5.large": "cheap"}', 'prices.json: the price of m5.large must be a positive number of USD/hour, got "cheap"'),
    ('{"m5.large": -0.1}', "the price of m5.large must be a positive number of USD/hour, got -0.1"),
    ('{"m5.large": 0}', "the price of m5.large must be a positive number of USD/hour, got 0"),
    ('{"m5.large": NaN}', "prices.json: NaN is not a JSON number (JSON has no NaN or Infinity)"),
    ('{"m5.large": 1e400}', "prices.json: the number 1e400 is out of range"),
    ('{"m5.large": true}', "the price of m5.large must be a positive number of USD/hour, got true"),
    ('{"m5.large": null}', "the price of m5.large must be a positive number of USD/hour, got null"),
    ('{"m5.large": 0.1,}', "prices.json:1:18: not valid JSON (Expecting property name enclosed in double quotes)"),
    ("", "prices.json:1:1: not valid JSON (Expecting value)"),
    ('{"x9.huge": 1}', "no specs for instance type 'x9.huge' to price"),
])
def test_bad_prices(tmp_path, capsys, text, message):
    path = tmp_path / "prices.json"
    path.write_text(text)
    assert message in one_line_error(capsys, ["--prices", str(path), "--out", str(tmp_path)])


@pytest.mark.parametrize(("text", "message"), [
    ('{"context": {"nodeAutoscaler": "both",}}', "cdk.json:1:39: not valid JSON (Expecting property name"),
    ('{"app": "python3 app.py"}', 'cdk.json: no "context" object of settings'),
    ('[]', 'cdk.json: no "context" object of settings'),
])
def test_bad_settings_file(tmp_path, capsys, text, message):
    path = tmp_path / "cdk.json"
    path.write_text(text)
    assert message in one_line_error(capsys, ["--cdk-json", str(path), "--out", str(tmp_path)])


def test_unreadable_inputs_name_their_file(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert f"{missing}: cannot read it (No such file or directory)" in one_line_error(
        capsys, ["--prices", str(missing), "--out", str(tmp_path)])
    assert f"{missing}: cannot read it" in one_line_error(capsys, ["--csv", str(missing), "--out", str(tmp_path)])
    assert f"{missing}: cannot read it" in one_line_error(capsys, ["--cdk-json", str(missing), "--out", str(tmp_path)])
    (tmp_path / "latin1.json").write_bytes(b'{"m5.large": "\xe9"}')
    assert "latin1.json: not UTF-8 text (byte 14)" in one_line_error(
        capsys, ["--prices", str(tmp_path / "latin1.json"), "--out", str(tmp_path)])


def test_bad_output_folder(tmp_path, capsys):
    file = tmp_path / "plan"
    file.write_text("")
    assert f"--out {file}: is a file, not a folder" in one_line_error(capsys, ["--out", str(file)])
    assert f"--out {file}/sub: cannot create it (Not a directory)" in one_line_error(
        capsys, ["--out", str(file / "sub")])


def test_bad_input_is_refused_before_any_run(tmp_path, capsys):
    """A bad --out or --prices is found before minutes of simulation, not after."""
    file = tmp_path / "plan"
    file.write_text("")
    assert main(["--out", str(file)]) == 2  # no --quiet: a run would print its progress
    assert "planning" not in capsys.readouterr().err


def test_missing_plotting_library_says_what_to_install(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["--out", str(tmp_path), "--quiet"]) == 2
    assert capsys.readouterr().err == ("error: the plot needs matplotlib, which is not installed: "
                                       "pip install -r requirements-plan.txt, or pass --no-plot\n")


@pytest.mark.parametrize("args", [["--hours", "nan"], ["--csv", "docs/plan-chapter.png"], ["--step", "20"], ["--seed"]])
def test_the_command_itself_exits_2_with_one_line(tmp_path, args):
    settings = ["--cdk-json", str(CDK_JSON)]  # the built-in defaults (planner_defaults)
    result = subprocess.run([sys.executable, "-m", "planner", *args, *settings, "--out", str(tmp_path), "--no-plot"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    settings = ["--cdk-json", str(CDK_JSON)]
    command = [sys.executable, "-m", "planner", "--scenario", "steady", "--hours", "0.1", *settings, "--out",
               str(tmp_path), "--no-plot", "--quiet"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # as `| head -0` does, before the plan prints its table
        stderr = process.stderr.read().decode()
    assert stderr == "" and process.returncode == 1, stderr
