"""The planner's load profiles (built-in and CSV, with every malformed input rejected) and its CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.engine import scenario as S
from planner.outputs.progress import Progress
from planner.outputs.table import count_text, duration_text

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("planner_defaults")


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
    ("time_s,php-apache\n0,fast\n", "load.csv:2: php-apache is not a number"),
    ("time_s,php-apache\n60,1\n30,2\n", "load.csv:3: time_s must increase (got 30 after 60)"),
    ("time_s,php-apache\n", "no data rows"),
])
def test_malformed_csv_is_rejected_with_its_line(tmp_path, text, message):
    with pytest.raises(S.ScenarioError) as error:
        S.from_csv(write(tmp_path, text))
    assert message in str(error.value)


def test_diurnal_repeats_its_day():
    """Two days: day 2 follows day 1's curve, rather than holding day 1's last value."""
    two_days = S.built_in("diurnal", hours=48)
    assert two_days.duration == 48 * 3600
    for name in S.RATE_WORKLOADS:
        cursor, day = two_days.cursor(name), S.diurnal().cursor(name)
        for hour in range(0, 24, 2):
            assert cursor.at((24 + hour) * 3600) == day.at(hour * 3600)


@pytest.mark.parametrize("name", sorted(S.BUILT_IN))
def test_hours_sets_every_built_in_scenarios_length(name):
    assert S.built_in(name, hours=5).duration == 5 * 3600
    assert S.built_in(name).duration == S.BUILT_IN[name]().duration


def test_plan_writes_table_series_and_plot(tmp_path, capsys):
    assert main(["--scenario", "chapter", "--compare", "nodeAutoscaler=cluster-autoscaler", "--out",
                 str(tmp_path), "--quiet"]) == 0
    output = capsys.readouterr().out
    assert "php-apache: peak replicas" in output and "nodeAutoscaler=cluster-autoscaler" in output
    assert (tmp_path / "chapter_settings_vs_nodeAutoscaler-cluster-autoscaler.png").stat().st_size > 10_000
    data = json.loads((tmp_path / "chapter_settings.json").read_text())
    assert data["summary"]["workloads"]["php-apache"]["peak_replicas"] == 5
    header = (tmp_path / "chapter_settings.csv").read_text().splitlines()[0].split(",")
    assert {"time", "pending", "nodes", "php-apache:replicas", "inflate:ready"} <= set(header)
    assert (tmp_path / "chapter_nodeAutoscaler-cluster-autoscaler.json").exists()


def test_every_output_is_named_by_scenario_and_run(tmp_path, capsys):
    """Plans of two scenarios, with and without -c, into one folder: nothing overwritten."""
    for args in (["--scenario", "steady"], ["--scenario", "spike"], ["--scenario", "spike", "-c", "enableKeda=false"]):
        assert main([*args, "--hours", "0.05", "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{stem}.{ext}" for stem in ("spike_settings", "spike_settings-enableKeda-false", "steady_settings")
        for ext in ("csv", "json", "png", "html"))


def test_repeated_compare_flags_are_runs_of_their_own(tmp_path, capsys):
    assert main(["--scenario", "steady", "--hours", "0.1", "--compare", "nodeAutoscaler=cluster-autoscaler",
                 "--compare", "nodeAutoscaler=both caNodeMaxSize=4", "--out", str(tmp_path), "--quiet",
                 "--no-plot"]) == 0
    header = capsys.readouterr().out.splitlines()[1].split()
    assert header == ["settings", "nodeAutoscaler=cluster-autoscaler", "nodeAutoscaler=both", "caNodeMaxSize=4"]
    both = json.loads((tmp_path / "steady_nodeAutoscaler-both-caNodeMaxSize-4.json").read_text())
    assert both["label"] == "nodeAutoscaler=both caNodeMaxSize=4"


def test_progress_off_a_terminal_is_one_plain_line_per_run(tmp_path, capsys):
    assert main(["--scenario", "steady", "--hours", "0.1", "--compare", "nodeAutoscaler=cluster-autoscaler",
                 "--out", str(tmp_path), "--no-plot"]) == 0
    assert capsys.readouterr().err == "planned settings\nplanned nodeAutoscaler=cluster-autoscaler\n"


def test_progress_on_a_terminal_is_a_labelled_bar():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = Progress("settings", stream)
    for fraction in (0.0, 0.5, 1.0, 1.0):
        bar(fraction)
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].startswith("planning settings [....") and frames[1].endswith(" 50%")
    assert frames[-1].endswith("100%\n") and len(frames) == 3


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (54.4, "54 s"), (60, "1 min"), (75, "1 min 15 s"), (2400, "40 min"), (2400.0000024, "40 min"),
    (3600, "1 h"), (5400, "1 h 30 min"), (172800, "48 h"),
])
def test_durations_for_people(seconds, text):
    assert duration_text(seconds) == text


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (5, "5"), (1.764, "1.76"), (250.0, "250"), (51768, "51.8 k"), (59627100, "59.6 M"), (2.5e9, "2.5 G"),
])
def test_counts_for_people(value, text):
    assert count_text(value) == text


def test_help_runs_without_aws_cdk_lib():
    result = subprocess.run([sys.executable, "-m", "planner", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "--scenario" in result.stdout
    code = "import sys, planner.cli.main, planner.simulation; sys.exit('aws_cdk' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


def test_load_steps_are_each_rise_until_the_next_change():
    scenario = S.Scenario("s", 100.0, {"inflate": [(0.0, 2.0), (10.0, 2.0), (20.0, 1.0), (30.0, 3.0), (40.0, 3.0)]})
    assert scenario.load_steps("inflate") == [(0.0, 20.0), (30.0, 100.0)]


def test_load_steps_of_a_long_profile_take_linear_time():
    """Issue 18 item 6: one pass, not a copy of the remaining steps per rise (200k rows took 92 s)."""
    import time
    rows = 200_000
    scenario = S.Scenario("long", rows * 5.0, {"inflate": [(i * 5.0, float(i % 2)) for i in range(rows)]})
    started = time.process_time()
    rises = scenario.load_steps("inflate")
    assert time.process_time() - started < 2.0
    assert len(rises) == rows // 2 and rises[0] == (5.0, 10.0) and rises[-1] == ((rows - 1) * 5.0, rows * 5.0)


def test_the_sample_profile_of_the_docs_plans_with_capacity_reached(tmp_path, capsys):
    """docs/sample-load.csv, the docs' --csv example: a working day. php-apache holds at 55 % of its 50 %
    target there, inside the HPA's 10 % tolerance: that is capacity (the HPA does not scale), not a miss."""
    assert main(["--csv", str(ROOT / "docs" / "sample-load.csv"), "-c", "karpenterInstanceTypes=m5.large,m5.xlarge",
                 "--seed", "3", "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0
    summary = json.loads((tmp_path / "sample-load_settings-karpenterInstanceTypes-m5.large-m5.xlarge.json")
                         .read_text())["summary"]
    assert {name: workload["capacity_reached"] for name, workload in summary["workloads"].items()} == \
        {"php-apache": True, "podinfo": True, "podinfo-keda": True, "inflate": True}


def test_a_csv_row_that_repeats_a_value_is_no_change(tmp_path):
    scenario = S.from_csv(write(tmp_path, "time_s,php-apache,inflate\n0,5,0\n5,5,2\n10,5,2\n15,7,2\n"))
    assert scenario.steps == {"php-apache": [(0.0, 5.0), (15.0, 7.0)], "inflate": [(0.0, 0.0), (5.0, 2.0)]}
    assert scenario.load_steps("php-apache") == [(0.0, 15.0), (15.0, 615.0)]
