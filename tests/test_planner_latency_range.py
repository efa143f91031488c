"""Latencies on the command line: --latency overrides one by name, --latency-range plans every run with the
optimistic, typical and pessimistic sets, and a conclusion that flips within the range is marked."""

from __future__ import annotations

import json

import pytest

from planner.cli.main import main
from planner.engine.inputs import duration_seconds
from planner.outputs.table import summary_table
from planner.simulation import Result

pytestmark = pytest.mark.usefixtures("planner_defaults")


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("1m30s", 90), ("1.5m", 90), ("2h", 7200), ("0s", 0)])
def test_durations(text, seconds):
    assert duration_seconds(text, "--latency x") == seconds


def test_a_latency_override_reaches_the_plan(tmp_path, capsys):
    def inflate_wait(*latency: str) -> float:
        assert main(["--scenario", "chapter", "-c", "nodeAutoscaler=karpenter", *latency, "--out", str(tmp_path),
                     "--quiet", "--no-plot"]) == 0
        summary = json.loads((tmp_path / "chapter_settings-nodeAutoscaler-karpenter.json").read_text())["summary"]
        return summary["workloads"]["inflate"]["time_to_capacity_s"]

    assert inflate_wait() < 120 < 0.85 * 300 <= inflate_wait("--latency", "karpenter-node-ready=5m")
    assert "typical latencies with karpenter-node-ready 5 min" in capsys.readouterr().out


def test_a_conclusion_that_flips_within_the_range_is_marked(tmp_path, capsys):
    """Cluster Autoscaler's nodes pinned at 45 s: Karpenter's 30 s (optimistic) beats them, its 60 s and
    100 s (typical, pessimistic) do not."""
    load = tmp_path / "load.csv"
    load.write_text("time_s,tester\n0,0\n60,40\n")
    # Only the tester: the pod demos would wait for nodes of their own (never the system nodes) and flip too.
    assert main(["--csv", str(load), "--hours", "0.2", "-c", "nodeAutoscaler=karpenter", "-c", "enableMetricsServer=false",
                 "-c", "enablePrometheus=false", "-c", "enableKeda=false", "--compare",
                 "nodeAutoscaler=cluster-autoscaler", "--latency", "ca-node-ready=45s", "--latency-range",
                 "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "optimistic, typical and pessimistic latencies with ca-node-ready 45 s" in lines[0]
    assert [line.split("  ")[0] for line in lines if line.startswith("! ")] == [
        "! tester: time to capacity",
        "! tester: time to capacity flips within the latency range: lower in settings nodeAutoscaler=karpenter "
        "enableMetricsServer=false enablePrometheus=false enableKeda=false with optimistic, "
        "nodeAutoscaler=cluster-autoscaler with typical and pessimistic latencies"]
    assert {path.name for path in tmp_path.glob("*_pessimistic.json")} == {
        "load_settings-nodeAutoscaler-karpenter-enableMetricsServer-false-enablePrometheus-false-enableKeda-false"
        "_pessimistic.json", "load_nodeAutoscaler-cluster-autoscaler_pessimistic.json"}


def result(label: str, wait: float | None, reached: bool | None) -> Result:
    workload = {"peak_replicas": 3, "time_to_capacity_s": wait, "capacity_reached": reached, "pending_pod_seconds": 0,
                "pods_never_placed": 0}
    cluster = {"peak_nodes": 3, "pending_pod_seconds": 0, "pods_never_placed": 0, "cost_usd": 1.0, "node_hours": {}}
    return Result(label, {}, {"workloads": {"web": workload}, "cluster": cluster})


def table(levels: dict[str, list[tuple[float | None, bool | None]]]) -> list[str]:
    text = summary_table({level: [result(label, *values) for label, values in zip("ab", runs)]
                          for level, runs in levels.items()})
    return [" ".join(line.split()) for line in text.splitlines() if line.startswith("! ")]


def test_ties_and_agreements_are_not_flips():
    assert table({"typical": [(60, True), (90, True)], "optimistic": [(30, True), (40, True)],
                  "pessimistic": [(100, True), (104, True)]}) == []  # a lower or within 5 s / 5 %: a tie


def test_never_reaching_capacity_is_the_slowest():
    assert table({"typical": [(60, True), (None, False)], "optimistic": [(30, True), (40, True)],
                  "pessimistic": [(None, False), (100, True)]}) == [
        "! web: time to capacity 1 min (30 s to -) - (40 s to -)",
        "! web: capacity reached yes NO",
        "! web: time to capacity flips within the latency range: lower in a with optimistic and typical, "
        "b with pessimistic latencies",
        "! web: capacity reached flips within the latency range: in a, yes with optimistic and typical, "
        "NO with pessimistic latencies"]
