"""The planner's latencies are inputs: one table with a range and a source each, overridable by name."""

from __future__ import annotations

import math

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.assumptions import LATENCIES, RANGE, latency_sets
from planner.simulation import PlanError, Simulation
from tests.context import with_defaults

# podinfo-keda from one replica, so that the chapter's burst starts a pod of it (at its minimum of 2,
# the burst needs no new pod, and its PodDisruptionBudget keeps Cluster Autoscaler from evicting both).
CONFIG = parse_config(with_defaults({"nodeAutoscaler": "both", "kedaMinReplicas": 1}))
# Fargate's start latency delays the demos fargateWorkloads names.
FARGATE = parse_config(with_defaults({"fargateWorkloads": "php-apache"}))


def test_every_latency_has_an_ordered_range_and_a_source():
    for latency in LATENCIES.values():
        assert 0 < latency.optimistic <= latency.typical <= latency.pessimistic, latency.name
        assert len(latency.source) > 20, latency.name
    sets = latency_sets()
    assert list(sets) == list(RANGE)
    assert all(sets[level].keys() == LATENCIES.keys() for level in RANGE)
    assert sets["pessimistic"]["ca-node-ready"] == LATENCIES["ca-node-ready"].pessimistic


@pytest.fixture(scope="module")
def baseline():
    return Simulation(CONFIG, S.chapter(), record_every=5.0).run()


@pytest.mark.parametrize("name", sorted(LATENCIES))
def test_every_latency_feeds_the_model(baseline, name):
    config = FARGATE if name == "fargate-pod-start" else CONFIG
    if config is FARGATE:
        baseline = Simulation(config, S.chapter(), record_every=5.0).run()
    slower = Simulation(config, S.chapter(), record_every=5.0, latencies={name: 300.0}).run()
    workload = name.removesuffix("-pod-ready")
    ready = {"karpenter-node-ready": "inflate:ready", "ca-node-ready": "tester:ready",
             "fargate-pod-start": "php-apache:ready"}.get(name, f"{workload}:ready")
    # Slower to Ready: fewer Ready pods summed over the run.
    assert sum(slower.series[ready]) < sum(baseline.series[ready])


def test_a_run_with_the_typical_set_equals_the_default_run(baseline):
    typical = Simulation(CONFIG, S.chapter(), record_every=5.0, latencies=latency_sets()["typical"]).run()
    assert typical.series == baseline.series


@pytest.mark.parametrize(("latencies", "message"), [
    ({"karpenter-ready": 10.0}, "unknown latency 'karpenter-ready'; known: karpenter-node-ready, ca-node-ready"),
    ({"ca-node-ready": -1.0}, "latency ca-node-ready must be a non-negative number of seconds, got -1.0"),
    ({"ca-node-ready": math.nan}, "latency ca-node-ready must be a non-negative number of seconds, got nan"),
])
def test_a_bad_latency_is_a_clear_error(latencies, message):
    with pytest.raises(PlanError) as error:
        Simulation(CONFIG, S.chapter(), latencies=latencies)
    assert str(error.value).startswith(message)
