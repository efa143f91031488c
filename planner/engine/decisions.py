"""The decision log behind a plan (--explain WORKLOAD, or --explain cluster): every HPA sync with its
inputs, every node launch with its batch and chosen type, every Cluster Autoscaler and Karpenter removal
with its reason and budget, every preemption of a headroom placeholder.

Logging is off unless a plan asks for it: the controllers call Cluster.note, which does nothing then.
"""

from __future__ import annotations

from dataclasses import dataclass

CLUSTER = "cluster"  # --explain cluster: every decision


@dataclass(frozen=True)
class Decision:
    time: float
    actor: str  # HPA, KEDA, Karpenter, Cluster Autoscaler, scheduler
    workloads: frozenset[str]  # the workloads it concerns; empty: the cluster's nodes only
    text: str


class DecisionLog:
    def __init__(self) -> None:
        self.decisions: list[Decision] = []

    def add(self, time: float, actor: str, workloads: frozenset[str], text: str) -> None:
        self.decisions.append(Decision(time, actor, workloads, text))

    def about(self, workload: str) -> list[Decision]:
        """The decisions that concern the workload (its autoscaler, nodes launched or removed with its
        pods, placeholders preempted for it); all of them for CLUSTER."""
        return [decision for decision in self.decisions
                if workload == CLUSTER or workload in decision.workloads]

    def text(self, workload: str) -> str:
        lines = [f"{_clock(decision.time):>8}  {decision.actor:<18}  {decision.text}" for decision in self.about(workload)]
        return "\n".join(lines) if lines else f"no decision concerned {workload}"


def _clock(seconds: float) -> str:
    """h:mm:ss since the plan started."""
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
