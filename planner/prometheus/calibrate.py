"""python -m planner --calibrate URL --since 7d: the planner's latencies as a deployed cluster measured them.

Reads, through the Prometheus HTTP API, what the scalers and kube-state-metrics exported (metric names
and sources in manifests/prometheus-rules.yaml) and writes a calibration file (JSON) whose latencies the
planner then uses instead of the defaults of planner/engine/assumptions.py (`--calibration FILE`):
- karpenter-node-ready: the mean time a NodeClaim's Initialized condition stayed Unknown (created to
  Initialized), from Karpenter's operator_nodeclaim_status_condition_transition_seconds histogram.
- ca-node-ready: Cluster Autoscaler exports no launch latency; each node it adds
  (cluster_autoscaler_scaled_up_nodes_total) is matched, first in first out, to the next rise of the
  ready nodes it counts (cluster_autoscaler_nodes_count{state="ready"}), to the scrape interval.
  With Karpenter in the same cluster, a Karpenter node turning Ready while a CA node launches is
  counted too.
- <workload>-pod-ready: bound to Ready per pod (kube_pod_status_ready_time - kube_pod_status_scheduled_time).
Only the scalers the settings deploy are read; one the settings deploy but Prometheus has never seen
is an error (not scraped, or the setting is wrong).
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from eks_scaling.prometheus_queries import SCRAPE_INTERVAL
from eks_scaling.settings import AppConfig
from planner.engine.assumptions import LATENCIES, MAX_LATENCY_SECONDS
from planner.engine.inputs import InputError, read_json
from planner.outputs.table import duration_text
from planner.prometheus.api import Prometheus, PrometheusError

SCRAPE_SECONDS = float(SCRAPE_INTERVAL.rstrip("s"))
KARPENTER_HISTOGRAM = "operator_nodeclaim_status_condition_transition_seconds"
_INITIALIZED = '{type="Initialized",status="Unknown"}'


def pod_pattern(workload: str) -> str:
    """A Deployment's pod names: <name>-<pod-template-hash>-<suffix>; podinfo's never match podinfo-keda's."""
    return f"{workload}-[a-z0-9]+-[a-z0-9]+"


@dataclass(frozen=True)
class Measured:
    name: str
    seconds: float | None  # None: nothing happened in the window
    samples: int
    source: str


def require(prometheus: Prometheus, metric: str, who: str, setting: str) -> None:
    if metric not in prometheus.metric_names():
        raise PrometheusError(f"Prometheus at {prometheus.url} has no {metric}: {who} is off or not scraped "
                              f"(the settings deploy it: {setting})")


def karpenter_node_ready(prometheus: Prometheus, start: float, end: float) -> Measured:
    window = f"{int(end - start)}s"
    totals = []
    for part in ("sum", "count"):
        result = prometheus.instant(f"sum(increase({KARPENTER_HISTOGRAM}_{part}{_INITIALIZED}[{window}]))", end)
        totals.append(result[0][1] if result else 0.0)
    total, count = totals
    seconds = total / count if count > 0 else None
    return Measured("karpenter-node-ready", seconds, round(count),
                    f"{KARPENTER_HISTOGRAM}{_INITIALIZED} sum/count")


def _steps(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(time, rise) of a series wherever it goes up; a counter reset counts from zero."""
    rises, previous = [], None
    for time, value in points:
        if previous is not None and value != previous:
            rise = value - previous if value >= previous else value
            if rise > 0:
                rises.append((time, rise))
        previous = value
    return rises


def ca_node_ready(prometheus: Prometheus, start: float, end: float) -> Measured:
    def series(query: str) -> list[tuple[float, float]]:
        found = prometheus.range(query, start, end, SCRAPE_SECONDS)
        return sorted(point for _, points in found for point in points)

    launches = _steps(series("sum(cluster_autoscaler_scaled_up_nodes_total)"))
    readies = _steps(series('sum(cluster_autoscaler_nodes_count{state="ready"})'))
    waiting: deque[float] = deque()
    waits: list[float] = []
    events = sorted([(t, 0, n) for t, n in launches] + [(t, 1, n) for t, n in readies])
    for time, kind, count in events:
        for _ in range(int(round(count))):
            if kind == 0:
                waiting.append(time)
            elif waiting:
                waits.append(time - waiting.popleft())
    return Measured("ca-node-ready", sum(waits) / len(waits) if waits else None, len(waits),
                    'cluster_autoscaler_scaled_up_nodes_total -> nodes_count{state="ready"} rises')


def pod_ready(prometheus: Prometheus, workload: str, start: float, end: float) -> Measured:
    window, selector = f"{int(end - start)}s", f'{{pod=~"{pod_pattern(workload)}"}}'
    ready = prometheus.instant(f"last_over_time(kube_pod_status_ready_time{selector}[{window}]) >= {start:.3f}", end)
    scheduled = {(labels.get("namespace"), labels.get("pod"), labels.get("uid")): value for labels, value in
                 prometheus.instant(f"last_over_time(kube_pod_status_scheduled_time{selector}[{window}])", end)}
    waits = [value - scheduled[key] for labels, value in ready
             if (key := (labels.get("namespace"), labels.get("pod"), labels.get("uid"))) in scheduled]
    return Measured(f"{workload}-pod-ready", sum(waits) / len(waits) if waits else None, len(waits),
                    "kube_pod_status_ready_time - kube_pod_status_scheduled_time")


def measure(prometheus: Prometheus, config: AppConfig, workloads: list[str], start: float,
            end: float) -> list[Measured]:
    """Every latency of the deployed scalers and workloads; an error for a deployed scaler never seen."""
    found = []
    if config.enable_karpenter:
        require(prometheus, f"{KARPENTER_HISTOGRAM}_count", "Karpenter", f"nodeAutoscaler={config.node_autoscaler}")
        found.append(karpenter_node_ready(prometheus, start, end))
    if config.enable_cluster_autoscaler:
        require(prometheus, "cluster_autoscaler_scaled_up_nodes_total", "Cluster Autoscaler",
                 f"nodeAutoscaler={config.node_autoscaler}")
        found.append(ca_node_ready(prometheus, start, end))
    if workloads:
        require(prometheus, "kube_pod_status_ready_time", "kube-state-metrics", "enablePrometheus=true")
    found += [pod_ready(prometheus, workload, start, end) for workload in workloads]
    for item in found:
        _plausible(prometheus, item)
    if all(item.seconds is None for item in found):
        raise PrometheusError(f"Prometheus at {prometheus.url} has no scaling events between "
                              f"{_iso(start)} and {_iso(end)}: nothing to calibrate from")
    return found


def _plausible(prometheus: Prometheus, item: Measured) -> None:
    seconds_ok = item.seconds is None or (math.isfinite(item.seconds) and 0 <= item.seconds <= MAX_LATENCY_SECONDS)
    if item.samples < 0 or not seconds_ok:
        raise PrometheusError(f"Prometheus at {prometheus.url} gave {item.name} = {item.seconds} s over {item.samples} "
                              f"samples: not a latency from 0 to {MAX_LATENCY_SECONDS:g} s; nothing written")


def _iso(time: float) -> str:
    return datetime.fromtimestamp(time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, url: str, start: float, end: float, measured: list[Measured]) -> Path:
    data = {
        "prometheus": url, "from": _iso(start), "to": _iso(end),
        "latencies": {item.name: round(item.seconds, 1) for item in measured if item.seconds is not None},
        "samples": {item.name: item.samples for item in measured},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def table(measured: list[Measured]) -> str:
    rows = [("latency", "default", "calibrated", "samples", "from")]
    for item in measured:
        default = LATENCIES[item.name].typical
        rows.append((item.name, duration_text(default),
                     duration_text(item.seconds) if item.seconds is not None else "kept (no samples)",
                     str(item.samples), item.source))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def load(path: Path) -> dict[str, float]:
    """{latency name: seconds} of a calibration file, each name one of planner/engine/assumptions.py's."""
    data = read_json(path)
    latencies = data.get("latencies") if isinstance(data, dict) else None
    if not isinstance(latencies, Mapping):
        raise InputError(f'{path}: not a calibration file (a JSON object with "latencies": {{name: seconds}})')
    for name, seconds in latencies.items():
        if name not in LATENCIES:
            raise InputError(f"{path}: unknown latency {name!r}; known: {', '.join(LATENCIES)}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or not 0 <= seconds <= MAX_LATENCY_SECONDS:
            raise InputError(f"{path}: {name} must be a number of seconds from 0 to {MAX_LATENCY_SECONDS:g}, "
                             f"got {json.dumps(seconds)}")
    return {name: float(seconds) for name, seconds in latencies.items()}
