"""A comparison plans the same workloads in every run; what it cannot compare is said in the output."""

from __future__ import annotations

import itertools
import json

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.setting_parsers import NODE_AUTOSCALERS
from planner.cli.comparison import select
from planner.cli.main import main
from planner.engine import scenario as S
from tests.context import with_defaults

pytestmark = pytest.mark.usefixtures("planner_defaults")


def config(**settings: str):
    return parse_config(with_defaults(settings))


def names(selection, label: str) -> set[str]:
    return {spec.name for spec in selection.workloads[label]}


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(NODE_AUTOSCALERS, 2)))
@pytest.mark.parametrize("scenario", [S.chapter(), S.spike()], ids=["chapter", "spike"])
def test_every_run_of_a_comparison_plans_the_same_workloads(first, second, scenario):
    runs = {first: config(nodeAutoscaler=first), second: config(nodeAutoscaler=second)}
    selection = select(runs, scenario)
    assert names(selection, first) == names(selection, second)
    for name in {"php-apache", "podinfo", "podinfo-keda"} & set(scenario.steps):
        assert name in names(selection, first)  # pod scalers do not depend on the node autoscaler
    # A node demo that some run deploys is planned on whichever node autoscaler each run has (with Karpenter
    # and Auto Mode, no run deploys the tester: it is left out, as select() says).
    deployed = {"inflate": any(run.enable_karpenter or run.enable_auto_mode for run in runs.values()),
                "tester": any(run.enable_cluster_autoscaler for run in runs.values())}
    if "none" not in runs and "tester" in scenario.steps:
        assert {demo for demo, some_run in deployed.items() if some_run} <= names(selection, first)
        assert any(deployed.values())


def test_node_demos_stand_in_on_the_node_autoscaler_a_run_has():
    selection = select({"k": config(nodeAutoscaler="karpenter"), "ca": config(nodeAutoscaler="cluster-autoscaler")},
                       S.chapter())
    groups = {(label, spec.name): spec.groups for label in ("k", "ca") for spec in selection.workloads[label]}
    assert groups[("k", "tester")] == {"karpenter"} and groups[("ca", "tester")] == {"ca"}
    assert groups[("ca", "inflate")] == {"ca"} and groups[("k", "inflate")] == {"karpenter"}
    assert selection.stand_ins == {"k": {"tester"}, "ca": {"inflate"}}
    requests = {label: next(s for s in selection.workloads[label] if s.name == "inflate") for label in ("k", "ca")}
    assert (requests["k"].cpu_request, requests["k"].memory_request) == \
        (requests["ca"].cpu_request, requests["ca"].memory_request) == (0.0, 1.0)


def test_what_cannot_be_compared_is_left_out_of_every_run_and_said():
    runs = {"settings": config(nodeAutoscaler="both"), "nodeAutoscaler=none": config(nodeAutoscaler="none"),
            "enableKeda=false": config(nodeAutoscaler="both", enableKeda="false")}
    selection = select(runs, S.chapter())
    assert all(names(selection, label) == {"php-apache", "podinfo"} for label in runs)
    assert selection.notes == [
        "inflate: not compared, left out of every run: nodeAutoscaler=none has no node autoscaler for its pods",
        "podinfo-keda: not compared, left out of every run: enableKeda=false does not deploy it (the app deploys it "
        "with enableKeda=true)",
        "tester: not compared, left out of every run: nodeAutoscaler=none has no node autoscaler for its pods"]


def test_the_chapter_compare_runs_150_tester_pods_in_both_columns(tmp_path, capsys):
    assert main(["--scenario", "chapter", "-c", "nodeAutoscaler=karpenter", "--compare",
                 "nodeAutoscaler=cluster-autoscaler", "--out", str(tmp_path), "--quiet", "--no-plot"]) == 0
    lines = capsys.readouterr().out.splitlines()
    peaks = {line.split(":")[0]: line.split()[3:] for line in lines if ": peak replicas" in line}
    assert peaks["tester"] == ["150", "*", "150"] and peaks["inflate"] == ["5", "5", "*"]
    assert ("* tester in settings nodeAutoscaler=karpenter: the app deploys tester only with Cluster Autoscaler "
            "(nodeAutoscaler=cluster-autoscaler or both); for the comparison its pods (same requests) run on "
            "Karpenter's nodes") in lines


def test_a_single_run_says_why_a_workload_of_the_scenario_is_missing(tmp_path, capsys):
    assert main(["--scenario", "chapter", "-c", "nodeAutoscaler=karpenter", "--out", str(tmp_path), "--quiet",
                 "--no-plot"]) == 0
    output = capsys.readouterr().out
    assert "tester: peak replicas" not in output
    assert ("tester: the scenario asks for 150 replicas, but the app deploys tester only with Cluster Autoscaler "
            "(nodeAutoscaler=cluster-autoscaler or both): not in this plan") in output.splitlines()


def test_a_comparison_plans_no_workload_that_no_run_deploys(tmp_path, capsys):
    """Issue 18 item 1: with Karpenter in both runs, tester (deployed only with Cluster Autoscaler) is in
    neither, so the baseline column is the single run's plan."""
    runs = {"settings": config(nodeAutoscaler="karpenter"), "headroom=2": config(nodeAutoscaler="karpenter",
                                                                                headroom="2")}
    selection = select(runs, S.chapter())
    assert "tester" not in names(selection, "settings") | names(selection, "headroom=2")
    assert selection.stand_ins == {"settings": set(), "headroom=2": set()}
    assert ("tester: the scenario asks for 150 replicas, but no run deploys it (the app deploys tester only with "
            "Cluster Autoscaler (nodeAutoscaler=cluster-autoscaler or both)): not planned") in selection.notes
    common = ["--scenario", "chapter", "-c", "nodeAutoscaler=karpenter", "--quiet", "--no-plot"]
    assert main([*common, "--out", str(tmp_path / "single")]) == 0
    assert main([*common, "--out", str(tmp_path / "compared"), "--compare", "headroom=2"]) == 0
    single, compared = (json.loads((tmp_path / folder / "chapter_settings-nodeAutoscaler-karpenter.json")
                                   .read_text())["summary"] for folder in ("single", "compared"))
    assert compared == single
