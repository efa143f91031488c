"""Which workloads each run plans. A comparison plans the same workloads in every run, so its numbers
differ only by the settings compared; what the settings do not let every run plan is left out of all
of them. A run plans what its settings deploy: a node demo stands in on another node autoscaler only
when some compared run deploys it, and no run plans a workload none of them deploys. Each choice comes
with a note for the output: nothing leaves a plan silently."""

from __future__ import annotations

from dataclasses import dataclass, field

from eks_scaling.settings import AppConfig
from planner.engine.scenario import Scenario
from planner.engine.workloads import HEADROOM, NODE_DEMO_GROUPS, Workload, node_demo, workloads
from planner.outputs.table import count_text

# What the app needs to deploy each demo (eks_scaling/parse_settings.py, planner/engine/workloads.py).
DEPLOYED_WITH = {
    "php-apache": "with enableMetricsServer=true",
    "podinfo": "with enablePrometheus=true",
    "podinfo-keda": "with enableKeda=true",
    "inflate": "only with Karpenter (nodeAutoscaler=karpenter, both or auto-mode)",
    "tester": "only with Cluster Autoscaler (nodeAutoscaler=cluster-autoscaler or both)",
}
GROUP_NAMES = {"karpenter": "Karpenter's nodes", "ca": "Cluster Autoscaler's ca-workers group"}


@dataclass
class Selection:
    workloads: dict[str, list[Workload]]  # run label -> the workloads it plans
    stand_ins: dict[str, set[str]] = field(default_factory=dict)  # run label -> node demos on another group
    notes: list[str] = field(default_factory=list)


def select(runs: dict[str, AppConfig], scenario: Scenario) -> Selection:
    deployed = {label: {spec.name: spec for spec in workloads(config)} for label, config in runs.items()}
    asked = {name: max(value for _, value in steps) for name, steps in scenario.steps.items()
             if any(value > 0 for _, value in steps)}
    selection = Selection({label: list(specs.values()) for label, specs in deployed.items()},
                          {label: set() for label in runs})
    if len(runs) == 1:
        (label,) = runs
        for name in sorted(set(asked) - set(deployed[label])):
            selection.notes.append(f"{name}: the scenario asks for {_load(name, asked[name])}, but the app deploys "
                                   f"{name} {DEPLOYED_WITH[name]}: not in this plan")
        return selection
    for name in sorted(set(asked) | {name for specs in deployed.values() for name in specs}):
        missing = [label for label in runs if name not in deployed[label]]
        if not missing or name == HEADROOM:
            continue  # headroom is part of the settings compared, not a workload to plan in every run
        if len(missing) == len(runs):  # no run deploys it: a stand-in would plan load no run has
            if name in asked:
                selection.notes.append(f"{name}: the scenario asks for {_load(name, asked[name])}, but no run "
                                       f"deploys it (the app deploys {name} {DEPLOYED_WITH[name]}): not planned")
            continue
        group = {label: _stand_in_group(runs[label]) for label in missing}
        if name in NODE_DEMO_GROUPS and name in asked and all(group.values()):
            for label in missing:
                selection.workloads[label].append(node_demo(name, group[label]))
                selection.stand_ins[label].add(name)
                selection.notes.append(f"* {name} in {label}: the app deploys {name} {DEPLOYED_WITH[name]}; for the "
                                       f"comparison its pods (same requests) run on {GROUP_NAMES[group[label]]}")
            continue
        for label in runs:
            selection.workloads[label] = [spec for spec in selection.workloads[label] if spec.name != name]
        if name in NODE_DEMO_GROUPS and name not in asked:
            continue  # never scaled up: it has no pods, so leaving it out hides nothing
        without = [label for label in missing if not group[label]] if name in NODE_DEMO_GROUPS else missing
        reason = "has no node autoscaler for its pods" if name in NODE_DEMO_GROUPS else \
            f"does not deploy it (the app deploys it {DEPLOYED_WITH[name]})"
        selection.notes.append(f"{name}: not compared, left out of every run: {', '.join(without)} {reason}")
    return selection


def every_workload(selection: Selection) -> list[Workload]:
    """Each workload any run plans, once (headroom's placeholders only in the runs that set them)."""
    return list({spec.name: spec for specs in selection.workloads.values() for spec in specs}.values())


def _stand_in_group(config: AppConfig) -> str | None:
    """The node group a node demo's pods can use in this run; None with no node autoscaler."""
    if config.enable_karpenter or config.enable_auto_mode:
        return "karpenter"
    return "ca" if config.enable_cluster_autoscaler else None


def _load(name: str, peak: float) -> str:
    return f"{count_text(peak)} replicas" if name in NODE_DEMO_GROUPS else f"up to {count_text(peak)} requests/s"
