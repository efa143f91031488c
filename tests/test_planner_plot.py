"""The plan's plot reads on its own: a colour per workload kept across runs and a line style per run,
integer axes for counts, rates and replicas apart, each HPA metric against its target, legends outside the
data, hours for long runs, outages and KEDA's fallback shaded, and a title naming the scenario and runs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from planner.engine import scenario as S
from planner.cli.comparison import select
from planner.outputs.plot import COLOURS, draw
from planner.simulation import Simulation
from eks_scaling.parse_settings import parse_config
from tests.context import with_defaults

RUNS = {"settings": {"nodeAutoscaler": "karpenter"}, "nodeAutoscaler=cluster-autoscaler": {"nodeAutoscaler":
                                                                                             "cluster-autoscaler"}}


def planned(scenario: S.Scenario, step: float = 1.0):
    configs = {label: parse_config(with_defaults(settings)) for label, settings in RUNS.items()}
    selection = select(configs, scenario)
    results = [Simulation(config, scenario, step=step, record_every=max(step, 10.0), label=label,
                          workload_specs=selection.workloads[label]).run() for label, config in configs.items()]
    return results, selection.workloads["settings"]


def drawn(scenario: S.Scenario):
    """The figure of both runs, and its panels by y label."""
    results, workloads = planned(scenario)
    figure = draw(results, scenario=scenario, workloads=workloads)
    yield figure, {axis.get_ylabel(): axis for axis in figure.axes}
    plt.close(figure)


@pytest.fixture(scope="module")
def fallback():
    yield from drawn(S.fallback())


@pytest.fixture(scope="module")
def chapter():
    yield from drawn(S.chapter())


def test_a_colour_per_workload_and_a_style_per_run(chapter):
    _, axes = chapter
    for label in ("requests/s", "replicas (HPA, KEDA)", "node demos: pods"):
        lines = axes[label].get_lines()
        for name in {line.get_label().split(":")[0] for line in lines}:
            mine = [line for line in lines if line.get_label().split(":")[0] == name]
            assert {line.get_color() for line in mine} == {COLOURS[name]}, (label, name)
            assert {line.get_linestyle() for line in mine} == {"-", "--"}, (label, name)


def test_rates_replicas_and_node_demos_on_separate_axes(chapter):
    _, axes = chapter
    assert {line.get_label() for line in axes["requests/s"].get_lines()} == {"php-apache", "podinfo", "podinfo-keda"}
    assert {line.get_label() for line in axes["replicas (HPA, KEDA)"].get_lines()} == \
        {"php-apache", "podinfo", "podinfo-keda"}
    assert {line.get_label() for line in axes["node demos: pods"].get_lines()} == \
        {"inflate: asked", "inflate: Ready", "tester: asked", "tester: Ready"}


def test_counts_have_integer_ticks(chapter):
    _, axes = chapter
    for label in ("replicas (HPA, KEDA)", "node demos: pods", "pending pods", "nodes by group", "nodes by type"):
        ticks = [tick for tick in axes[label].get_yticks() if 0 <= tick <= axes[label].get_ylim()[1]]
        assert ticks and all(tick == int(tick) for tick in ticks), (label, ticks)


def test_each_hpa_metric_against_its_target(chapter):
    _, axes = chapter
    metric = axes["HPA metric, % of target"]
    labels = {line.get_label() for line in metric.get_lines()}
    assert {"php-apache (target 50 % CPU)", "podinfo (target 10 requests/s per pod)"} <= labels
    assert any(list(line.get_ydata()) == [100, 100] for line in metric.get_lines())  # the target line
    php = next(line for line in metric.get_lines() if line.get_label().startswith("php-apache"))
    settled = [value for value in php.get_ydata()[30:100] if value == value]
    assert 80 < sum(settled) / len(settled) < 120  # settles near its target


def test_legends_stand_outside_the_data_and_title_names_scenario_and_runs(chapter):
    figure, axes = chapter
    for axis in axes.values():
        legend = axis.get_legend()
        box = legend.get_window_extent().transformed(axis.transAxes.inverted())
        assert box.x0 >= 1.0, axis.get_ylabel()
    title = figure._suptitle.get_text()
    assert title.startswith("scenario chapter, 40 min")
    assert "solid: cdk.json's settings; dashed: nodeAutoscaler=cluster-autoscaler" in title
    assert axes["nodes by type"].get_xlabel() == "minutes"


def test_outages_and_fallback_are_shaded(fallback):
    figure, axes = fallback
    spans = [(patch.get_x(), patch.get_x() + patch.get_width()) for patch in axes["requests/s"].patches]
    assert (10.0, 20.0) in spans  # Prometheus unreachable from 10 to 20 minutes
    keda = [span for span in spans if span != (10.0, 20.0)]
    assert keda and all(10.0 < start < 12.0 and end <= 20.5 for start, end in keda)  # after failureThreshold polls
    assert {text.get_text() for text in figure.legends[0].get_texts()} >= {"Prometheus unreachable", "KEDA fallback"}


def test_long_runs_read_in_hours():
    scenario = S.built_in("steady", hours=6)
    results, workloads = planned(scenario, step=5.0)
    figure = draw(results, scenario=scenario, workloads=workloads)
    axis = figure.axes[-1]
    assert axis.get_xlabel() == "hours" and max(axis.get_xlim()) < 7
    plt.close(figure)
