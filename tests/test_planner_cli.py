"""The planner's load profiles (built-in and CSV, with every malformed input rejected) and its CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner import scenario as S
from planner.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "load.csv"
    path.write_text(text)
    return path


def test_built_in_scenarios():
    chapter = S.chapter()
    assert chapter.cursor("php-apache").at(30.0) == 0.0
    cursor = chapter.cursor("php-apache")
    assert (cursor.at(60.0), cursor.at(1259.0), cursor.at(1260.0)) == (50.0, 50.0, 0.0)
    assert chapter.load_steps("tester") == [(60.0, 1260.0)]
    spike = S.spike()
    assert spike.cursor("podinfo").at(3600.0) == 4 * spike.cursor("podinfo").at(0.0)
    day = S.diurnal()
    rates = [value for _, value in day.steps["php-apache"]]
    assert day.duration == 86400.0 and min(rates) == pytest.approx(max(rates) / 4, rel=0.01)
    assert not S.fallback().prometheus_up(700.0) and S.fallback().prometheus_up(1300.0)


def test_csv_profile(tmp_path):
    scenario = S.from_csv(write(tmp_path, "time_s,php-apache,inflate\n0,0,0\n60,50,5\n600,0,0\n"))
    cursor = scenario.cursor("php-apache")
    assert (cursor.at(59.0), cursor.at(60.0), cursor.at(700.0)) == (0.0, 50.0, 0.0)
    assert scenario.load_steps("inflate") == [(60.0, 600.0)]
    assert scenario.duration == 1200.0


@pytest.mark.parametrize(("text", "message"), [
    ("seconds,php-apache\n0,1\n", "load.csv:1: the header must start with time_s"),
    ("time_s,php-apache,redis\n0,1,1\n", "load.csv:1: unknown workload 'redis'; known: php-apache, podinfo,"),
    ("time_s\n0\n", "load.csv:1: no workload columns after time_s"),
    ("time_s,php-apache\n0,1\n60,-5\n", "load.csv:3: php-apache must be a non-negative number, got -5"),
    ("time_s,php-apache\n0,1\n60\n", "load.csv:3: expected 2 values, found 1"),
    ("time_s,php-apache\n0,fast\n", "load.csv:2: not a number"),
    ("time_s,php-apache\n60,1\n30,2\n", "load.csv:3: time_s must increase (got 30 after 60)"),
    ("time_s,php-apache\n", "no data rows"),
])
def test_malformed_csv_is_rejected_with_its_line(tmp_path, text, message):
    with pytest.raises(S.ScenarioError) as error:
        S.from_csv(write(tmp_path, text))
    assert message in str(error.value)


def test_plan_writes_table_series_and_plot(tmp_path, capsys):
    assert main(["--scenario", "chapter", "--compare", "nodeAutoscaler=cluster-autoscaler", "--out",
                 str(tmp_path), "--quiet"]) == 0
    output = capsys.readouterr().out
    assert "php-apache: peak replicas" in output and "nodeAutoscaler=cluster-autoscaler" in output
    assert (tmp_path / "chapter.png").stat().st_size > 10_000
    data = json.loads((tmp_path / "settings.json").read_text())
    assert data["summary"]["workloads"]["php-apache"]["peak_replicas"] == 5
    header = (tmp_path / "settings.csv").read_text().splitlines()[0].split(",")
    assert {"time", "pending", "nodes", "php-apache:replicas", "inflate:ready"} <= set(header)


@pytest.mark.parametrize(("args", "message"), [
    (["-c", "nodeAutoscalr=both"], "error: unknown setting nodeAutoscalr (did you mean nodeAutoscaler?)"),
    (["--compare", "nodeAutoscaler"], "error: --compare takes key=value, got 'nodeAutoscaler'"),
    (["--hours", "-1"], "error: --hours must be positive, got -1"),
    (["--csv", "/nonexistent.csv"], "error: /nonexistent.csv: cannot read it"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message):
    assert main([*args, "--out", str(tmp_path), "--quiet", "--no-plot"]) == 2
    assert message in capsys.readouterr().err


def test_help_runs_without_aws_cdk_lib():
    result = subprocess.run([sys.executable, "-m", "planner", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "--scenario" in result.stdout
    code = "import sys, planner.__main__, planner.simulation; sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
