"""metrics-server's CPU as the HPA reads it: the rate between a pod's last two scrapes, nothing for a pod
with one point (but a fresh container's start time counts as a point), so a load step reaches the HPA
one scrape late. Cases re-expressed from kubernetes-sigs/metrics-server v0.8.1 pkg/storage/pod_test.go
("should not use start time ... for long running container", "should use start time ... for fresh new
container", "... less than 10s between start time and timestamp") at this app's 15 s resolution."""

from __future__ import annotations

import pytest

from eks_scaling.parse_settings import parse_config
from planner.engine import scenario as S
from planner.engine.assumptions import PHP_APACHE_CPU_PER_REQUEST
from planner.engine.nodes import Pod, WorkloadState
from planner.engine.workloads import workloads
from planner.scalers.metrics_server import MetricsServer
from planner.simulation import Simulation
from tests.context import with_defaults

LOAD = 50.0  # requests/s: 0.48 cores


def php_apache(started: float, load: float = LOAD) -> tuple[WorkloadState, Pod]:
    spec = next(spec for spec in workloads(parse_config(with_defaults({}))) if spec.name == "php-apache")
    pod = Pod(spec, started, node=object(), started=started, ready_at=started)
    return WorkloadState(spec, pods=[pod], desired=1, load=load, ready_count=1), pod


def scraped(state: WorkloadState, times: list[float]) -> MetricsServer:
    server = MetricsServer()
    server.observe(state, times[0] - 1.0, scrape=False)
    for time in times:
        server.observe(state, time, scrape=True)
    return server


def test_a_long_running_pod_has_no_metric_after_one_scrape():
    state, pod = php_apache(started=-120.0)
    assert scraped(state, [0.0]).pod_usage("php-apache", pod) is None


@pytest.mark.parametrize(("age", "has_metric"), [(10.0, True), (14.0, True), (9.0, False), (15.0, False)])
def test_a_fresh_container_uses_its_start_time_as_the_first_point(age, has_metric):
    state, pod = php_apache(started=-age)
    server = MetricsServer()
    server.observe(state, -age, scrape=False)
    server.observe(state, 0.0, scrape=True)
    usage = server.pod_usage("php-apache", pod)
    assert (usage is not None) is has_metric
    if has_metric:
        assert usage == (0.0, pytest.approx(LOAD * PHP_APACHE_CPU_PER_REQUEST))


def test_the_usage_is_the_rate_between_the_last_two_scrapes():
    state, pod = php_apache(started=-300.0, load=0.0)
    server = scraped(state, [0.0, 15.0])
    state.load = LOAD  # the step lands at 20 s: the 30 s scrape sees a third of the window loaded
    server.observe(state, 20.0, scrape=False)
    server.observe(state, 30.0, scrape=True)
    assert server.pod_usage("php-apache", pod) == (30.0, pytest.approx(LOAD * PHP_APACHE_CPU_PER_REQUEST * 10 / 15))
    server.observe(state, 45.0, scrape=True)
    assert server.pod_usage("php-apache", pod)[1] == pytest.approx(LOAD * PHP_APACHE_CPU_PER_REQUEST)


def test_the_hpa_sees_a_load_step_one_scrape_after_it():
    """The chapter's load starts at 60 s: the 60 s scrape covers (45, 60], before it, so php-apache's HPA
    first scales up at the 75 s sync (it did at 60 s when a sample was the load at that instant)."""
    simulation = Simulation(parse_config(with_defaults({})), S.chapter(), explain=True)
    simulation.run()
    first = next(d for d in simulation.cluster.log.about("php-apache") if d.actor == "HPA" and "1 -> 1 " not in d.text)
    assert first.time == 75.0 and first.text.endswith("1 -> 4 replicas")
