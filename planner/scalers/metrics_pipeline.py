"""The metric pipelines: metrics-server's CPU for php-apache (planner/scalers/metrics_server.py), and Prometheus scraping each podinfo
pod's `http_requests_total` counter, then `rate(...[window])` over those samples as PromQL computes it,
per pod for prometheus-adapter (the HPA's Pods metric) and summed for the KEDA query."""

from __future__ import annotations

from collections import deque
from typing import Sequence

from eks_scaling.prometheus_queries import SCRAPE_INTERVAL
from planner.engine import assumptions as A
from planner.engine.nodes import Pod, WorkloadState, next_multiple
from planner.engine.scenario import Scenario
from planner.engine.workloads import duration_seconds
from planner.scalers.metrics_server import MetricsServer, cores_per_pod

# An assumption: podinfo counts its probes in http_requests_total. manifests/podinfo.yaml has a readiness
# and a liveness probe on its http port without periodSeconds, so Kubernetes' default 10 s each.
PROBE_RATE = 0.2
SCRAPE_SECONDS = duration_seconds(SCRAPE_INTERVAL)  # what the app sets on the prometheus chart


def prometheus_rate(samples: Sequence[tuple[float, float]], range_start: float, range_end: float) -> float | None:
    """rate() of one counter series over the samples in (range_start, range_end], per second; None
    (no result) with fewer than two. Follows extrapolatedRate in prometheus/prometheus
    promql/functions.go (float samples, no offset): counter resets add the value before the drop; the
    increase is extrapolated to a range edge when the nearest sample lies within 1.1 average sample
    intervals of it, else by half an interval; towards the start, never past the counter's zero point."""
    if len(samples) < 2:
        return None
    (first_t, first_v), (last_t, last_v) = samples[0], samples[-1]
    increase = last_v - first_v
    for (_, before), (_, after) in zip(samples, samples[1:]):
        if after < before:
            increase += before
    sampled = last_t - first_t
    average = sampled / (len(samples) - 1)
    threshold = average * 1.1
    to_start, to_end = first_t - range_start, range_end - last_t
    if to_start >= threshold:
        to_start = average / 2
    if increase > 0 and first_v >= 0:
        to_start = min(to_start, sampled * first_v / increase)
    if to_end >= threshold:
        to_end = average / 2
    return increase * (sampled + to_start + to_end) / sampled / (range_end - range_start)


class MetricsPipeline:
    def __init__(self, scenario: Scenario, step: float) -> None:
        self.scenario, self.step = scenario, step
        self.metrics_server = MetricsServer()
        # Requests one pod has served while Ready since the workload started, summed step by step: every
        # Ready pod of a workload serves the same share, so one running total gives each pod's counter.
        self.served: dict[str, float] = {}
        self.served_rate: dict[str, float] = {}  # per Ready pod, since the last observation
        self.observed: dict[str, float] = {}  # when served was last brought up to date
        self.ready_base: dict[tuple[Pod, float], float] = {}  # (pod, started) -> served total when it turned Ready
        # One series per pod incarnation (pod, started): its scraped counter samples, oldest first.
        self.series: dict[str, dict[tuple[Pod, float], deque[tuple[float, float]]]] = {}
        self.summed: tuple = (None, 0.0)  # ((workload, time), total_rate) of the last query
        self.seen: dict[str, tuple[float, int]] = {}  # (load, Ready pods) at each workload's last observation

    def prometheus_up(self, now: float) -> bool:
        return self.scenario.prometheus_up(now)

    def true_value(self, state: WorkloadState) -> float:
        """What the autoscaler's metric would read with an instant pipeline: CPU utilization (%) or
        requests per second per Ready pod."""
        if state.spec.autoscaling.kind == "cpu":
            return 100.0 * cores_per_pod(state, max(state.ready_count, 1)) / state.spec.cpu_request
        return state.load / max(state.ready_count, 1) + PROBE_RATE

    def observe(self, state: WorkloadState, now: float) -> None:
        ready = state.ready_count
        name = state.spec.name
        cpu_due, scrape_due = now % A.METRICS_SERVER_RESOLUTION < self.step, now % SCRAPE_SECONDS < self.step
        if not (cpu_due or scrape_due) and self.seen.get(name) == (state.load, ready):
            return  # no scrape, and the rates that accrue are unchanged: the next call adds this stretch too
        self.seen[name] = (state.load, ready)
        if state.spec.autoscaling.kind == "cpu":
            self.metrics_server.observe(state, now, scrape=cpu_due)
        if state.spec.autoscaling.rate_window:
            # Requests served since the last observation, at the rate that held since then.
            self.served[name] = self.served.get(name, 0.0) + \
                self.served_rate.get(name, 0.0) * (now - self.observed.get(name, now))
            self.observed[name] = now
            if scrape_due and self.prometheus_up(now):
                self._scrape(state, now)
            # A pod serves at most a core's worth of requests (podinfo has no CPU limit).
            self.served_rate[name] = min(state.load / ready, 1 / A.PODINFO_CPU_PER_REQUEST) if ready else 0.0

    def next_event(self, now: float) -> float:
        """The next metrics-server sample or Prometheus scrape."""
        return min(next_multiple(now, A.METRICS_SERVER_RESOLUTION), next_multiple(now, SCRAPE_SECONDS))

    def prime(self, state: WorkloadState, ready_since: float) -> None:
        """Before the plan starts, its pods have served the starting load since `ready_since`: a window of
        scrapes up to t=0, so the first query sees a steady rate rather than an empty series."""
        if state.spec.autoscaling.kind == "cpu":
            self.metrics_server.prime(state)
        if not state.spec.autoscaling.rate_window:
            return
        name, ready = state.spec.name, state.ready_count
        rate = min(state.load / ready, 1 / A.PODINFO_CPU_PER_REQUEST) if ready else 0.0
        self.served_rate[name] = rate
        scrapes = int(state.spec.autoscaling.rate_window // SCRAPE_SECONDS) + 1
        for index in range(scrapes, 0, -1):
            time = -index * SCRAPE_SECONDS
            self.served[name] = rate * (time - ready_since)
            self._scrape(state, time)
        self.served[name] = rate * -ready_since
        self.observed[name] = 0.0

    def _counter(self, name: str, pod: Pod, now: float) -> float:
        """The pod's http_requests_total now: its probes since it started, plus its share while Ready."""
        value = PROBE_RATE * (now - pod.started)
        if pod.ready(now):
            key = (pod, pod.started)
            if key not in self.ready_base:
                self.ready_base[key] = self.served[name] - self.served_rate[name] * (now - pod.ready_at)
            value += self.served[name] - self.ready_base[key]
        return value

    def _scrape(self, state: WorkloadState, now: float) -> None:
        name, window = state.spec.name, state.spec.autoscaling.rate_window
        series = self.series.setdefault(name, {})
        for pod in state.pods:
            if pod.node is not None and pod.started is not None and pod.started <= now:
                series.setdefault((pod, pod.started), deque()).append((now, self._counter(name, pod, now)))
        for key in list(series):
            samples = series[key]
            while samples and samples[0][0] <= now - window:
                samples.popleft()
            if not samples:
                del series[key]
                self.ready_base.pop(key, None)

    def _rate(self, samples: deque[tuple[float, float]], now: float, window: float) -> float | None:
        if samples[0][0] > now - window and samples[-1][0] <= now:
            inside = list(samples)  # the scrape kept only the window: the usual case, without a filter
        else:
            inside = [sample for sample in samples if now - window < sample[0] <= now]
        return prometheus_rate(inside, now - window, now)

    def pod_rates(self, state: WorkloadState, now: float) -> dict[Pod, float]:
        """prometheus-adapter's answer: rate(...[window]) of each current pod that has one."""
        series, window = self.series.get(state.spec.name, {}), state.spec.autoscaling.rate_window
        rates = {}
        for pod in state.pods:
            samples = series.get((pod, pod.started))
            rate = self._rate(samples, now, window) if samples else None
            if rate is not None:
                rates[pod] = rate
        return rates

    def total_rate(self, state: WorkloadState, now: float) -> float:
        """sum(rate(...[window])) over every series of the workload, including pods gone within the window;
        an empty result reads as 0 (KEDA's prometheus scaler, ignoreNullValues default true)."""
        if self.summed[0] == (state.spec.name, now):
            return self.summed[1]  # KEDA's poll and its HPA's read at the same instant: one query
        window = state.spec.autoscaling.rate_window
        rates = (self._rate(samples, now, window) for samples in self.series.get(state.spec.name, {}).values())
        total = sum(rate for rate in rates if rate is not None)
        self.summed = ((state.spec.name, now), total)
        return total
