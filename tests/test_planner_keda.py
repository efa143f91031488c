"""The planner's KEDA against kedacore/keda v2.20.2: the failure count and fallback behaviors (re-stated
from pkg/fallback/fallback_test.go), the Value target, activation, cooldown and initialCooldownPeriod."""

from __future__ import annotations

import dataclasses

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.nodes import WorkloadState
from planner.engine.workloads import workloads
from planner.scalers.keda import FALLBACK_BEHAVIORS, Keda
from planner.scalers.metrics_pipeline import MetricsPipeline
from planner.simulation import Simulation
from tests.context import with_defaults

CONFIG = parse_config(with_defaults({"nodeAutoscaler": "none", "enableMetricsServer": "false"}))


def keda_state(failures: int, current: int, ready: int | None = None, **scaling) -> tuple[Keda, WorkloadState]:
    """podinfo-keda with Prometheus unreachable, `failures` failed reads so far, `current` replicas."""
    spec = next(w for w in workloads(CONFIG) if w.name == "podinfo-keda")
    spec = dataclasses.replace(spec, autoscaling=dataclasses.replace(spec.autoscaling, **scaling))
    down = S.Scenario("down", 3600.0, prometheus_outages=[(0.0, 3600.0)])
    keda = Keda(None, MetricsPipeline(down, 1.0), 1.0)
    keda.failures[spec.name] = failures
    return keda, WorkloadState(spec, desired=current, ready_count=current if ready is None else ready)


def test_a_failed_read_counts_and_the_fallback_needs_more_than_the_threshold():
    keda, state = keda_state(0, 5, fallback_threshold=3, fallback_replicas=10, target=10.0)
    assert keda.external_metric(state, 0.0) is None  # "should bump the number of failures": 0 -> 1
    assert keda.failures["podinfo-keda"] == 1
    keda, state = keda_state(2, 5, fallback_threshold=3, fallback_replicas=10, target=10.0)
    assert keda.external_metric(state, 0.0) is None  # 3 failures: not more than the threshold yet
    # "should return a normalised metric when number of failures are beyond threshold": 3 -> 4, 10 x 10.
    assert keda.external_metric(state, 0.0) == 100.0
    assert keda.failures["podinfo-keda"] == 4


@pytest.mark.parametrize(("behavior", "current", "value"), [
    ("static", 4, 100.0),  # "should ignore current replicas when behavior is 'static'"
    ("currentReplicas", 4, 40.0),  # "should use current replicas when behavior is 'currentReplicas'"
    ("currentReplicasIfHigher", 4, 100.0),  # "should use fallback replicas when current replicas is lower"
    ("currentReplicasIfHigher", 12, 120.0),
    ("currentReplicasIfLower", 4, 40.0),
    ("currentReplicasIfLower", 12, 100.0),
])
def test_fallback_behaviors(behavior, current, value):
    assert behavior in FALLBACK_BEHAVIORS
    keda, state = keda_state(3, current, fallback_threshold=3, fallback_replicas=10, target=10.0,
                             fallback_behavior=behavior)
    assert keda.external_metric(state, 0.0) == value


def test_a_value_target_divides_the_fallback_by_the_ready_replicas():
    keda, state = keda_state(3, 4, ready=5, fallback_threshold=3, fallback_replicas=10, target=10.0,
                             target_type="Value")
    assert keda.external_metric(state, 0.0) == 10 / 5 * 10.0
    keda, state = keda_state(3, 4, ready=0, fallback_threshold=3, fallback_replicas=10, target=10.0,
                             target_type="Value")
    assert keda.external_metric(state, 0.0) is None  # "readyReplicas is zero, cannot do fallback"


def run_keda(monkeypatch, steps, seconds=1800.0, outages=(), **scaling):
    real = workloads

    def patched(config):
        found = real(config)
        return [dataclasses.replace(w, autoscaling=dataclasses.replace(w.autoscaling, **scaling))
                if w.name == "podinfo-keda" else w for w in found]

    monkeypatch.setattr("planner.simulation.workloads", patched)
    scenario = S.Scenario("keda", seconds, {"podinfo-keda": steps}, prometheus_outages=list(outages))
    result = Simulation(CONFIG, scenario, record_every=1.0).run()
    return dict(zip(result.series["time"], result.series["podinfo-keda:replicas"]))


def test_fallback_starts_once_polls_and_hpa_reads_together_pass_the_threshold(monkeypatch):
    # Prometheus goes at 600 s: the poll at 600 (1), the HPA's read at 600 (2), the poll at 610 (3):
    # the HPA's read at 615 is the fourth failure, more than failureThreshold 3, and gets the fallback.
    replicas = run_keda(monkeypatch, [(0.0, 0.0), (60.0, 60.0)], outages=[(600.0, 1800.0)],
                        fallback_behavior="currentReplicasIfLower", fallback_replicas=8)
    assert replicas[599.0] == 6
    assert max(replicas.values()) == 6  # currentReplicasIfLower: min(6, 8) keeps 6, never 8


def test_initial_cooldown_holds_a_scale_to_zero_after_creation(monkeypatch):
    quick = run_keda(monkeypatch, [(0.0, 0.0)], seconds=600.0, min_replicas=0, activation=1.0)
    held = run_keda(monkeypatch, [(0.0, 0.0)], seconds=600.0, min_replicas=0, activation=1.0,
                    initial_cooldown=300.0)
    first_zero = lambda replicas: min(t for t, r in replicas.items() if r == 0)  # noqa: E731
    assert first_zero(quick) <= 10.0  # never active, no initial cooldown: the first poll after creation
    assert 300.0 < first_zero(held) <= 310.0  # not before creation + initialCooldownPeriod


def test_cooldown_counts_from_the_last_active_poll(monkeypatch):
    replicas = run_keda(monkeypatch, [(0.0, 30.0), (600.0, 0.0)], min_replicas=0, activation=1.0, cooldown=120.0)
    assert replicas[590.0] >= 1
    # The rate over [2m] falls under the activation threshold about two minutes after the load stops;
    # cooldownPeriod 120 s after the last active poll, KEDA scales to zero.
    first_zero = min(t for t, r in replicas.items() if t > 600 and r == 0)
    assert 600 + 120 < first_zero <= 600 + 120 + 120 + 2 * 10


def test_a_fallback_counts_as_active_and_scales_from_zero(monkeypatch):
    """Issue 18 item 12: kedacore/keda v2.20.2 pkg/scaling/scale_handler.go isActiveOrFallback. At zero
    replicas (minReplicaCount 0, no load) with Prometheus gone, once the failures pass the threshold the
    operator's poll is active: it scales to 1 and the HPA runs the fallback's 3 replicas."""
    replicas = run_keda(monkeypatch, [(0.0, 0.0)], min_replicas=0, activation=1.0, outages=[(300.0, 1800.0)],
                        fallback_threshold=3, fallback_replicas=3, fallback_behavior="static")
    assert replicas[290.0] == 0
    assert max(r for t, r in replicas.items() if 20.0 <= t < 330.0) == 0  # polls at 300, 310, 320: 3 failures, not yet
    assert replicas[1790.0] == 3
