"""metrics-server v0.8.1's CPU for php-apache's HPA: every --metric-resolution (15 s) it scrapes each
pod's cumulative CPU seconds and reports the rate between a pod's last two scrapes, so a load step
reaches the HPA one to two scrapes late, and a pod with one point has no metric.

Upstream: kubernetes-sigs/metrics-server v0.8.1 pkg/storage/pod.go: GetMetrics (lines 48-100) answers
only for a pod with both a last and a previous point; Store (lines 102-158) keeps the previous point
while the container has not restarted, and for a container that started between
freshContainerMinMetricsResolution (10 s, line 31) and one resolution before its first scrape, uses its
start time with zero CPU as the previous point (lines 121-125). The usage is the difference of the
cumulative CPU over the difference of the timestamps (pkg/storage/types.go resourceUsage).
"""

from __future__ import annotations

from planner.engine import assumptions as A
from planner.engine.nodes import Pod, WorkloadState

FRESH_CONTAINER_MIN = 10.0  # pod.go freshContainerMinMetricsResolution
IDLE_CORES = 0.001  # a started pod that is not Ready yet serves nothing: apache idling


def cores_per_pod(state: WorkloadState, ready: int) -> float:
    """The cores each of `ready` pods uses under the workload's load now, capped by its CPU limit."""
    cores = state.load * A.PHP_APACHE_CPU_PER_REQUEST / ready if ready else 0.0
    return min(cores, state.spec.cpu_limit) if state.spec.cpu_limit else cores


class MetricsServer:
    def __init__(self) -> None:
        self.used: dict[str, float] = {}  # CPU seconds one Ready pod of the workload has used so far
        self.rate: dict[str, float] = {}  # cores per Ready pod since the last observation
        self.observed: dict[str, float] = {}
        # workload -> (pod, started) -> `used` when that pod turned Ready
        self.ready_base: dict[str, dict[tuple[Pod, float], float]] = {}
        self.last: dict[str, dict[tuple[Pod, float], tuple[float, float]]] = {}  # (time, cumulative) per pod
        self.usage: dict[str, dict[Pod, tuple[float, float]]] = {}  # pod -> (timestamp, cores) it reports

    def observe(self, state: WorkloadState, now: float, scrape: bool) -> None:
        """Bring the CPU used up to now at the rate that held since the last observation, scrape if it
        is time, then take the rate that holds from now."""
        name = state.spec.name
        self.used[name] = self.used.get(name, 0.0) + self.rate.get(name, 0.0) * (now - self.observed.get(name, now))
        self.observed[name] = now
        if scrape:
            self._scrape(state, now)
        self.rate[name] = cores_per_pod(state, state.ready_count)

    def prime(self, state: WorkloadState) -> None:
        """Before the plan starts, its Ready pods have run the starting load for a long while: a scrape
        one resolution before t=0, so the first scrape at 0 already has a rate."""
        name, cores = state.spec.name, cores_per_pod(state, state.ready_count)
        self.rate[name], self.observed[name] = cores, -A.METRICS_SERVER_RESOLUTION
        self.used[name] = 0.0
        self._scrape(state, -A.METRICS_SERVER_RESOLUTION)

    def pod_usage(self, name: str, pod: Pod) -> tuple[float, float] | None:
        """(timestamp, cores) metrics-server returns for the pod; None: no metric for it."""
        return self.usage.get(name, {}).get(pod)

    def _cumulative(self, name: str, pod: Pod, now: float) -> float:
        """The pod's CPU seconds since its container started: idle until Ready, then a Ready pod's share."""
        idle = IDLE_CORES * (min(now, pod.ready_at) - pod.started) if pod.ready_at is not None else 0.0
        if not pod.ready(now):
            return IDLE_CORES * (now - pod.started)
        bases = self.ready_base.setdefault(name, {})
        key = (pod, pod.started)
        if key not in bases:
            bases[key] = self.used[name] - self.rate.get(name, 0.0) * (now - pod.ready_at)
        return idle + self.used[name] - bases[key]

    def _scrape(self, state: WorkloadState, now: float) -> None:
        name, previous = state.spec.name, self.last.get(state.spec.name, {})
        points, usage = {}, {}
        for pod in state.pods:
            if pod.node is None or pod.started is None or pod.started > now:
                continue
            key = (pod, pod.started)
            points[key] = (now, self._cumulative(name, pod, now))
            before = previous.get(key)
            if before is None and FRESH_CONTAINER_MIN <= now - pod.started < A.METRICS_SERVER_RESOLUTION:
                before = (pod.started, 0.0)  # pod.go lines 121-125: a fresh container's start as its first point
            if before is not None and now > before[0]:
                usage[pod] = (now, (points[key][1] - before[1]) / (now - before[0]))
        self.ready_base[name] = {key: base for key, base in self.ready_base.get(name, {}).items() if key in points}
        self.last[name], self.usage[name] = points, usage
