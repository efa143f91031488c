"""The metric pipeline: PromQL's rate() as Prometheus computes it, over scrapes at the interval the app
configures, per pod for prometheus-adapter and summed for KEDA."""

from __future__ import annotations

import pytest

from eks_scaling.parse_settings import parse_config
from eks_scaling.prometheus_queries import REQUESTS_PER_SECOND_RULE, SCRAPE_INTERVAL
from planner.engine import scenario as S
from planner.engine.nodes import Node, Pod, WorkloadState
from planner.engine.workloads import duration_seconds, workloads
from planner.scalers.metrics_pipeline import PROBE_RATE, SCRAPE_SECONDS, MetricsPipeline, prometheus_rate
from tests.context import with_defaults

MINUTE = 60.0


def series(start: float, increment: float, count: int, every: float = 5 * MINUTE, offset: float = 0.0):
    """promqltest's `load <every>` notation `start+increment x count`: count + 1 samples from `offset`."""
    return [(offset + i * every, start + i * increment) for i in range(count + 1)]


def rate_at(samples, time: float, window: float) -> float | None:
    """rate(x[window]) evaluated at `time`: the range is left-open, (time - window, time]."""
    return prometheus_rate([s for s in samples if time - window < s[0] <= time], time - window, time)


# Expectations re-expressed from prometheus/prometheus promql/promqltest/testdata/functions.test
# (the "Tests for increase()" and "Tests for rate()" blocks); increase() is rate() times the range.
@pytest.mark.parametrize(("samples", "time", "window", "expected"), [
    (series(0, 10, 10), 50 * MINUTE, 50 * MINUTE, 100 / 3000),  # increase(foo[50m]) = 100
    (series(10, 10, 10), 50 * MINUTE, 50 * MINUTE, 100 / 3000),  # dings
    (series(1, 10, 10), 50 * MINUTE, 50 * MINUTE, 100 / 3000),  # bumms
    (series(0, 10, 10), 50 * MINUTE, 100 * MINUTE, 100 / 6000),  # foo[100m]: already 0 at t=0
    (series(0, 18, 5) + series(0, 18, 4, offset=30 * MINUTE), 50 * MINUTE, 100 * MINUTE, 162 / 6000),  # bar, reset
    (series(10, 10, 10), 50 * MINUTE, 100 * MINUTE, 105 / 6000),  # dings: half an interval back
    (series(1, 10, 10), 50 * MINUTE, 100 * MINUTE, 101 / 6000),  # bumms: only to its zero point
    (series(0, 80, 10), 50 * MINUTE, 50 * MINUTE, 0.26666666666666666),  # calculate_rate_window_total
    (series(0, 27, 4) + series(0, 27, 5, offset=25 * MINUTE), 50 * MINUTE, 50 * MINUTE, 0.08),  # reset_middle
    # testcounter_zero_cutoff_total, load 4m: the zero cutoff until half an interval, then half an interval.
    (series(0, 240, 10, every=4 * MINUTE), 10 * MINUTE, 20 * MINUTE, 0.5),
    (series(60, 240, 10, every=4 * MINUTE), 10 * MINUTE, 20 * MINUTE, 0.55),
    (series(120, 240, 10, every=4 * MINUTE), 10 * MINUTE, 20 * MINUTE, 0.6),
    (series(300, 240, 10, every=4 * MINUTE), 10 * MINUTE, 20 * MINUTE, 0.6),
    (series(300, 240, 10, every=4 * MINUTE), 50 * MINUTE, 20 * MINUTE, 0.6),
])
def test_rate_matches_prometheus(samples, time, window, expected):
    assert rate_at(samples, time, window) == pytest.approx(expected)


def test_rate_needs_two_samples_in_the_range():
    # testcounter_reset_end_total 0+10x9 0 10 at 50m over [5m]: one sample, no result.
    samples = series(0, 10, 9) + [(50 * MINUTE, 10.0)]
    assert rate_at(samples, 50 * MINUTE, 5 * MINUTE) is None
    assert rate_at([], 0.0, 120.0) is None


def test_the_scrape_interval_and_windows_are_the_apps():
    assert SCRAPE_SECONDS == duration_seconds(SCRAPE_INTERVAL)
    found = {w.name: w.autoscaling for w in workloads(parse_config(with_defaults({})))}
    assert found["podinfo"].rate_window == 120.0 and "[2m]" in REQUESTS_PER_SECOND_RULE["metricsQuery"]
    assert found["podinfo-keda"].rate_window == 120.0


def podinfo(pods: int, load: float) -> tuple[WorkloadState, MetricsPipeline]:
    spec = next(w for w in workloads(parse_config(with_defaults({}))) if w.name == "podinfo")
    node = Node("m5.large", "system", 2.0, 8.0, 29, 0.1, 0.0, 0.0)
    state = WorkloadState(spec, [Pod(spec, -3600.0, node, -3600.0, -3600.0) for _ in range(pods)],
                          desired=pods, load=load, ready_count=pods)
    pipeline = MetricsPipeline(S.Scenario("test", 3600.0), 1.0)
    pipeline.prime(state, -3600.0)
    return state, pipeline


def run(state: WorkloadState, pipeline: MetricsPipeline, start: float, end: float) -> None:
    for second in range(int(start), int(end) + 1):
        pipeline.observe(state, float(second))


def test_a_load_step_shows_zero_then_partial_then_full():
    state, pipeline = podinfo(2, 20.0)
    run(state, pipeline, 0, 599)
    before = 10.0 + PROBE_RATE
    assert pipeline.pod_rates(state, 599.0) == {pod: pytest.approx(before) for pod in state.pods}
    state.load = 40.0
    after = 20.0 + PROBE_RATE
    seen = {}
    for second in range(600, 800):
        run(state, pipeline, second, second)
        seen[second] = pipeline.total_rate(state, float(second))
    assert seen[614] == pytest.approx(2 * before, rel=0.01)  # no scrape since the step: nothing yet
    assert 2 * before < seen[615] < seen[660] < seen[690] < 2 * after  # the window fills scrape by scrape
    # In full once every sample in the window is from after the step: the first one is the scrape at 600.
    window = state.spec.autoscaling.rate_window
    assert seen[600 + window - SCRAPE_SECONDS] == pytest.approx(2 * after, rel=0.01)


def test_a_new_pod_has_no_metric_until_two_scrapes():
    state, pipeline = podinfo(1, 10.0)
    run(state, pipeline, 0, 100)
    new = Pod(state.spec, 100.0, state.pods[0].node, 100.0, 105.0)
    state.pods.append(new)
    state.ready_count = 2
    seen = []
    for second in range(101, 200):
        run(state, pipeline, second, second)
        if new in pipeline.pod_rates(state, float(second)):
            seen.append(second)
    assert seen[0] == 105 + 15  # its first scrape at 105, the second at 120
    assert set(pipeline.pod_rates(state, 199.0)) == set(state.pods)


def test_a_deleted_pods_requests_stay_in_the_sum_for_one_window():
    state, pipeline = podinfo(2, 20.0)
    run(state, pipeline, 0, 300)
    gone = state.pods.pop()
    state.ready_count = 1
    run(state, pipeline, 301, 400)
    assert gone not in pipeline.pod_rates(state, 400.0)
    assert pipeline.total_rate(state, 400.0) > pipeline.pod_rates(state, 400.0)[state.pods[0]]
    run(state, pipeline, 401, 600)
    assert pipeline.total_rate(state, 600.0) == pytest.approx(20.0 + PROBE_RATE, rel=0.01)


def test_the_hpa_sees_a_load_step_only_as_the_rate_window_fills():
    from planner.simulation import Simulation

    config = parse_config(with_defaults({"nodeAutoscaler": "none"}))
    scenario = S.Scenario("step", 600.0, {"podinfo": [(0.0, 0.0), (60.0, 20.0)]})
    result = Simulation(config, scenario, record_every=1.0).run()
    replicas = dict(zip(result.series["time"], result.series["podinfo:replicas"]))
    first_scale_up = min(t for t, r in replicas.items() if r > 1)
    # 20/s on one pod reads 20.2 in full, but the HPA acts at 11 (target 10, tolerance 0.1): the rate
    # crosses it once about half the window holds the step, ~60 s after it, not at the first scrape.
    assert 60 + 45 <= first_scale_up <= 60 + SCRAPE_SECONDS + 75
    assert result.summary["workloads"]["podinfo"]["time_to_capacity_s"] >= first_scale_up - 60
