"""A comparison gives its answer: per question (each workload's time to capacity, pods never placed,
cost) the lowest run and every run's difference from the first; a cheaper run that did not reach
capacity is flagged. The summary table is defined under it, and a rise the window cuts off is no failure."""

from __future__ import annotations

import pytest

from eks_scaling.parse_settings import parse_config
from planner.cli.main import main
from planner.engine import scenario as S
from planner.outputs.table import DEFINITIONS
from planner.outputs.verdict import verdict_text, verdicts
from planner.simulation import Result, Simulation
from tests.context import with_defaults

pytestmark = pytest.mark.usefixtures("planner_defaults")


def result(label: str, wait: float | None, never_placed: int, cost: float) -> Result:
    workload = {"time_to_capacity_s": wait, "capacity_reached": wait is not None}
    return Result(label, {}, {"workloads": {"tester": workload},
                              "cluster": {"pods_never_placed": never_placed, "cost_usd": cost}})


def test_each_question_names_the_lowest_run_with_the_differences():
    found = {v.question: v for v in verdicts([result("karpenter", 65.0, 0, 0.42), result("ca", None, 44, 0.39)])}
    assert [found[q].winner for q in ("time to capacity, tester", "pods never placed", "cost")] == \
        ["karpenter", "karpenter", "ca"]
    assert found["time to capacity, tester"].lines[1:] == ["  karpenter: 1 min 5 s", "  ca: not reached"]
    assert found["pods never placed"].lines[2] == "  ca: 44 (+44 against the first run)"
    assert found["cost"].lines[2] == "  ca: $0.39 (-$0.03 against the first run)"
    assert found["cost"].lines[3] == ("  ! ca is the cheapest but did not reach capacity for tester: it is cheaper "
                                      "because it placed less")


def test_a_tie_names_no_winner_and_a_single_run_has_no_verdict():
    assert verdicts([result("a", 60.0, 0, 1.00), result("b", 62.0, 0, 1.00)])[0].winner is None
    assert verdict_text([result("a", 60.0, 0, 1.00)]) == ""


def test_the_comparison_prints_its_verdict_and_the_definitions(tmp_path, capsys):
    assert main(["-c", "nodeAutoscaler=karpenter", "--compare", "nodeAutoscaler=cluster-autoscaler",
                 "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0
    output = capsys.readouterr().out
    assert "verdict (typical latencies):" in output and "\ncost: " in output
    assert "  ! nodeAutoscaler=cluster-autoscaler is the cheapest but did not reach capacity" in output
    assert " ".join(output.split()).count(" ".join(DEFINITIONS.split())) == 1


def test_a_rise_the_window_cuts_off_is_not_a_failure():
    """inflate rises 20 s before the end: no node can be Ready by then, and that is the window, not Karpenter."""
    scenario = S.Scenario("cut", 600.0, {"inflate": [(0.0, 0.0), (60.0, 5.0), (300.0, 0.0), (580.0, 5.0)]})
    config = parse_config(with_defaults({"enableMetricsServer": "false", "enablePrometheus": "false",
                                         "enableKeda": "false"}))
    summary = Simulation(config, scenario).run().summary["workloads"]["inflate"]
    assert summary["capacity_reached"] is True and summary["last_rise_cut_off_s"] == 20.0
    assert 30 < summary["time_to_capacity_s"] < 120  # the first rise's, the only one that ran its course


def test_explain_writes_the_decisions_of_every_run(tmp_path, capsys):
    assert main(["-c", "nodeAutoscaler=karpenter", "--compare", "nodeAutoscaler=cluster-autoscaler", "--explain",
                 "inflate", "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0
    output = capsys.readouterr().out
    assert "decisions for inflate (settings nodeAutoscaler=karpenter, typical latencies):" in output
    assert "decisions for inflate (nodeAutoscaler=cluster-autoscaler, typical latencies):" in output
    logs = sorted(path.name for path in tmp_path.glob("*_explain_inflate.txt"))
    assert logs == ["chapter_nodeAutoscaler-cluster-autoscaler_explain_inflate.txt",
                    "chapter_settings-nodeAutoscaler-karpenter_explain_inflate.txt"]
    assert "Cluster Autoscaler" in (tmp_path / logs[0]).read_text()
