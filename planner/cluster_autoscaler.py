"""Cluster Autoscaler: every scan interval, grows its node group for pending pods up to the group's
maximum and removes a node that stayed unneeded (under-utilized with room elsewhere) long enough."""

from __future__ import annotations

import math

from planner import assumptions as A
from planner.cluster import Cluster, Node
from planner.model import duration_seconds
from stacks.config import AppConfig


class ClusterAutoscaler:
    def __init__(self, cluster: Cluster, config: AppConfig, step: float) -> None:
        self.cluster, self.settings, self.step = cluster, config.cluster_autoscaler, step
        self.karpenter_too = config.enable_karpenter
        self.last_scale_up = -math.inf

    def reconcile(self, now: float) -> None:
        if now % A.CA_SCAN_INTERVAL >= self.step:
            return
        cluster, settings = self.cluster, self.settings
        group = [n for n in cluster.nodes if n.group == "ca"]
        pending = [pod for pod in cluster.pending_pods() if "ca" in pod.workload.groups and pod.nominated is None
                   and not ("karpenter" in pod.workload.groups and self.karpenter_too)]
        pending = cluster.pack(pending, [n for n in group if n.ready_at > now])
        kind = settings.nodes.instance_types[0]
        while pending and len(group) < settings.nodes.max_size:
            node = cluster.new_node(kind, "ca", now + cluster.jitter(cluster.latencies["ca-node-ready"]))
            group.append(node)
            left = cluster.pack(pending, [node])
            if len(left) == len(pending):
                cluster.remove_node(node)  # not even one pod fits this instance type
                group.pop()
                break
            pending = left
            self.last_scale_up = now
        self._scale_down([n for n in group if n.ready_at <= now], now)

    def _scale_down(self, ready: list[Node], now: float) -> None:
        cluster, settings = self.cluster, self.settings
        unneeded_after = duration_seconds(settings.scale_down_unneeded_time)
        if now - self.last_scale_up < A.CA_SCALE_DOWN_DELAY_AFTER_ADD:
            return
        for node in ready:
            utilization = max(node.used_cpu / node.cpu, node.used_memory / node.memory)
            others = [n for n in ready if n is not node]
            movable = node.pods == 0 or (utilization < A.CA_SCALE_DOWN_UTILIZATION and sum(
                n.max_pods - n.pods for n in others) >= node.pods and sum(n.cpu - n.used_cpu for n in others)
                >= node.used_cpu and sum(n.memory - n.used_memory for n in others) >= node.used_memory)
            if not movable:
                node.unneeded_since = None
                continue
            node.unneeded_since = node.unneeded_since if node.unneeded_since is not None else now
            total = sum(1 for n in cluster.nodes if n.group == "ca")
            if now - node.unneeded_since >= unneeded_after and total > settings.nodes.min_size:
                cluster.evict_all(node)
                cluster.remove_node(node)
                return  # one node per scan
