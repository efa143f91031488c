"""The plan's plot reads on its own: a colour per workload kept across runs and a line style per run,
integer axes for counts, rates and replicas apart, each HPA metric against its target, legends outside the
data, hours for long runs, outages and KEDA's fallback shaded, and a title naming the scenario and runs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from eks_scaling.parse_settings import parse_config
from planner.cli.comparison import select
from planner.engine import scenario as S
from planner.outputs.plot import COLOURS, draw
from planner.simulation import Simulation
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
    for label in ("requests/s", "replicas (HPA, KEDA)"):
        lines = axes[label].get_lines()
        for name in {line.get_label().split(":")[0] for line in lines}:
            mine = [line for line in lines if line.get_label().split(":")[0] == name]
            assert {line.get_color() for line in mine} == {COLOURS[name]}, (label, name)
            assert {line.get_linestyle() for line in mine} == {"-", "--"}, (label, name)
    for name in ("inflate", "tester"):  # a panel each: tester's 150 pods would flatten inflate's 5
        lines = axes[f"{name}: pods"].get_lines()
        assert {line.get_color() for line in lines} == {COLOURS[name]}
        assert {line.get_linestyle() for line in lines} == {"-", "--"}


def test_rates_replicas_and_node_demos_on_separate_axes(chapter):
    _, axes = chapter
    assert {line.get_label() for line in axes["requests/s"].get_lines()} == {"php-apache", "podinfo", "podinfo-keda"}
    assert {line.get_label() for line in axes["replicas (HPA, KEDA)"].get_lines()} == \
        {"php-apache", "podinfo", "podinfo-keda"}
    for name in ("inflate", "tester"):
        assert {line.get_label() for line in axes[f"{name}: pods"].get_lines()} == {"asked", "Ready"}


def test_counts_have_integer_ticks(chapter):
    _, axes = chapter
    for label in ("replicas (HPA, KEDA)", "inflate: pods", "tester: pods", "pending pods", "nodes by group",
                  "autoscaled nodes by type"):
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
    assert axes["node-hours so far"].get_xlabel() == "minutes"


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


def _coincide(first, second) -> bool:
    return list(first.get_xdata()) == list(second.get_xdata()) and \
        [round(v, 9) for v in first.get_ydata()] == [round(v, 9) for v in second.get_ydata()]


def test_no_line_hides_under_another(chapter):
    """Issue 18 item 14: lines that coincide (podinfo and podinfo-keda, both runs at rest) stay visible: a
    later line of the same style is at least 1 pt thinner than the one it lies on, so the earlier shows
    around it; a line of another style (another run) shows through its gaps."""
    _, axes = chapter
    pairs = 0
    for axis in axes.values():
        lines = [line for line in axis.get_lines() if len(line.get_xdata()) > 2]
        for index, later in enumerate(lines):
            for earlier in lines[:index]:
                if _coincide(earlier, later):
                    pairs += 1
                    assert later.get_linestyle() != earlier.get_linestyle() or \
                        earlier.get_linewidth() - later.get_linewidth() >= 1.0, axis.get_ylabel()
    assert pairs  # the chapter has coincident lines: the check ran


def test_shadings_never_cover_each_other(fallback):
    _, axes = fallback
    for axis in axes.values():
        boxes = [patch.get_path().get_extents(patch.get_patch_transform()) for patch in axis.patches]
        for index, box in enumerate(boxes):
            for other in boxes[:index]:
                overlap_x = min(box.x1, other.x1) > max(box.x0, other.x0)
                assert not (overlap_x and min(box.y1, other.y1) > max(box.y0, other.y0)), axis.get_ylabel()


def test_a_metric_is_absent_while_the_hpa_cannot_read_it(fallback):
    """Prometheus is unreachable from 10 to 20 minutes: podinfo's HPA gets no metric, and KEDA's HPA reads
    the fallback, not the metric, so both are drawn as gaps there rather than as their last value."""
    _, axes = fallback
    for line in axes["HPA metric, % of target"].get_lines():
        if line.get_label().startswith(("podinfo ", "podinfo-keda ")):
            inside = [y for x, y in zip(line.get_xdata(), line.get_ydata()) if 12.0 <= x < 20.0]
            assert inside and all(y != y for y in inside), line.get_label()  # NaN: not drawn


def test_cost_and_node_hours_over_time(chapter):
    _, axes = chapter
    for label in ("cost so far, USD", "node-hours so far"):
        for line in axes[label].get_lines():
            values = list(line.get_ydata())
            assert values[0] == 0 and all(b >= a for a, b in zip(values, values[1:])) and values[-1] > 0
