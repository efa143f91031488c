"""Karpenter v1.14.1: provisioning (batch pending pods, fill launching NodeClaims first, then new ones,
each keeping every type that still holds its pods and launched as the cheapest of them
(karpenter_scheduling.py), within the NodePool's limits) and disruption (karpenter_disruption.py).

Upstream: kubernetes-sigs/karpenter at the commit aws/karpenter-provider-aws v1.14.1's go.mod pins
(6e7eab7a0f48): pkg/controllers/provisioning (batcher, scheduler). Spot (NodePools by weight,
interruptions, launch failures): spot.py.
"""

from __future__ import annotations

import math

from eks_scaling.settings import AppConfig
from planner.engine import assumptions as A
from planner.engine.cluster import Cluster
from planner.engine.nodes import Node, WorkloadState
from planner.engine.workloads import node_pool_disruption, quantity
from planner.scalers.budget_schedule import Schedule
from planner.scalers.karpenter_disruption import POLLING_PERIOD, VALIDATION_DELAY, Command, Consolidation
from planner.scalers.karpenter_scheduling import claim
from planner.scalers.spot import SPOT, SpotMarket, pools


class Karpenter(Consolidation):
    def __init__(self, cluster: Cluster, config: AppConfig, step: float,
                 spot: A.SpotAssumptions = A.SPOT, seed: int = 1) -> None:
        self.cluster, self.step = cluster, step
        self.pools = pools(config)  # highest weight first; each has the settings' limits
        self.market = SpotMarket(spot, seed) if any(pool.capacity_type == SPOT for pool in self.pools) else None
        settings = config.karpenter
        self.allowed = sorted(settings.instance_types, key=lambda name: cluster.prices[name])  # cheapest first
        self.cpu_limit = float(settings.cpu_limit)
        self.memory_limit = quantity(settings.memory_limit, memory=True)
        self.disruption = node_pool_disruption(config)
        # Each budget: (nodes, reasons, its Schedule or None: always active, duration in seconds).
        self.budgets = [(nodes, reasons, Schedule(rest[0]) if rest and rest[0] else None, rest[1] if rest else 0.0)
                        for nodes, reasons, *rest in self.disruption.budgets]
        self.batch: list[float] | None = None  # [first pending seen, last new pending, pods then]
        self.stuck: tuple[int, int] | None = None  # (pods left, nodes removed) when a launch placed no more
        self.next_poll = 0.0
        self.validating: Command | None = None
        self.replacing: dict[Node, Command] = {}  # replacement node -> the command it completes
        self.consolidated: tuple | None = None  # the cluster state in which consolidation found nothing
        # (cluster.changes, next node Consolidatable, which budgets were active) of a poll
        self.quiet: tuple[int, float, tuple] | None = None
        self.reclaims: list[tuple[float, Node]] = []  # (end of the notice, interrupted Spot node), in order
        self.draining: dict[Node, None] = {}  # deleted nodes the termination controller is still draining

    def reconcile(self, now: float) -> None:
        if self.market:
            self._interrupt(now)
        self._provision(now)
        self._disrupt(now)

    def next_event(self, now: float) -> float:
        """The end of the batch window, the end of a validation, or the next disruption poll that can find
        something: while the cluster is as the last poll left it, the first poll once a node turns
        Consolidatable (quiet polls change nothing, so skipping them keeps the result)."""
        poll = max(self.next_poll, now + self.step)
        if self.quiet is not None and self.quiet[0] == self.cluster.changes and self.validating is None \
                and not self.replacing and not any(schedule for _, _, schedule, _ in self.budgets):
            wait = self.quiet[1] - self.next_poll
            poll = math.inf if wait == math.inf else max(poll, self.next_poll + math.ceil(wait / POLLING_PERIOD - 1e-9)
                                                          * POLLING_PERIOD)
        times = [poll]
        if self.batch is not None:
            times.append(min(self.batch[1] + A.KARPENTER_BATCH_IDLE, self.batch[0] + A.KARPENTER_BATCH_MAX))
        if self.validating is not None:
            times.append(self.validating.decided + VALIDATION_DELAY)
        if self.market:
            times.append(max(min([self.market.next_notice(), *(end for end, _ in self.reclaims[:1])]),
                             now + self.step))
        return min(times)

    def spot_summary(self) -> dict:
        """The summary's Spot counts, when a NodePool allows Spot."""
        if self.market is None:
            return {}
        return {"spot_interruptions": self.market.interruptions, "spot_launch_failures": self.market.launch_failures}

    # ---- Spot interruptions ----

    def _interrupt(self, now: float) -> None:
        """A Spot interruption notice: the offering is marked unavailable and the NodeClaim deleted, so
        the node is cordoned and drained at once (its pods go Pending for the provisioner); EC2 reclaims
        the instance when the two-minute notice runs out."""
        for node in self.market.due(now):
            self.market.interruptions += 1
            self.market.mark_unavailable(node.kind, now)
            self.cluster.note("Karpenter", set(node.counts), lambda node=node: (
                f"Spot interruption notice for a {node.kind}: cordons and drains it ("
                + (", ".join(f"{count} {name}" for name, count in node.counts.items()) or "no pod")
                + f" go Pending); Spot {node.kind} unavailable for {A.SPOT_UNAVAILABLE_TTL:g} s, "
                  f"the instance is gone in {A.SPOT_NOTICE:g} s"))
            if node.ready_at > now:
                self.cluster.remove_node(node)  # not Ready yet: nothing to drain
                continue
            node.cordoned = True
            self.cluster.evict_all(node)
            self.reclaims.append((now + A.SPOT_NOTICE, node))
        while self.reclaims and self.reclaims[0][0] <= now:
            _, node = self.reclaims.pop(0)
            if not node.removed:
                self.cluster.remove_node(node)

    # ---- provisioning ----

    def _eligible(self) -> list[WorkloadState]:
        return [state for state in self.cluster.states.values()
                if "karpenter" in state.spec.groups and self.cluster.unreserved(state) > 0]

    def _provision(self, now: float) -> None:
        waiting = self._eligible()
        total = sum(self.cluster.unreserved(state) for state in waiting)
        if not total:
            self.batch = None
            return
        if (total, self.cluster.nodes_removed) == self.stuck:
            return  # no new pods and no room freed under the limits since the last launch placed none
        # Batching (settings batchIdleDuration / batchMaxDuration): new pods extend the batch.
        if self.batch is None:
            self.batch = [now, now, total]
        elif total > self.batch[2]:
            self.batch[1:] = [now, total]
        if now - self.batch[1] < A.KARPENTER_BATCH_IDLE and now - self.batch[0] < A.KARPENTER_BATCH_MAX:
            return
        self.batch = None
        self._launch(waiting, now)
        left = sum(self.cluster.unreserved(state) for state in waiting)
        self.stuck = (left, self.cluster.nodes_removed) if left else None

    def provision_now(self, now: float) -> None:
        """Launch for every pending pod at once, without a batch window (the plan's settled start)."""
        self._launch(self._eligible(), now)

    def _launch(self, waiting: list[WorkloadState], now: float) -> None:
        cluster = self.cluster
        # Largest pods first (the scheduler's byCPUAndMemoryDescending).
        waiting = sorted(waiting, key=lambda s: (s.spec.cpu_request, s.spec.memory_request), reverse=True)
        need = cluster.reserve_on_launching("karpenter", waiting)  # NodeClaims already launching first
        used = {pool.capacity_type: [0.0, 0.0] for pool in self.pools}  # each NodePool's own limits
        for node in cluster.groups["karpenter"]:
            used[SPOT if node.spot else "on-demand"][0] += node.shape.capacity_cpu
            used[SPOT if node.spot else "on-demand"][1] += node.shape.capacity_memory
        while any(need.values()):
            found = self._open_pool(used, now)
            if found is None:
                return
            pool, open_types = found
            counts, fitting = claim({name: cluster.shapes[name] for name in open_types}, waiting, need)
            if not counts:
                return  # no allowed type holds one more pending pod: those pods stay Pending
            kind = fitting[0]  # open_types run cheapest first
            spot = pool.capacity_type == SPOT
            if spot and self.market.launch_fails(kind, now):
                cluster.note("Karpenter", counts, f"Spot {kind} has no capacity (launch failed): unavailable for "
                                                  f"{A.SPOT_UNAVAILABLE_TTL:g} s, trying the next offering")
                continue
            shape = cluster.shapes[kind]
            used[pool.capacity_type][0] += shape.capacity_cpu
            used[pool.capacity_type][1] += shape.capacity_memory
            node = cluster.new_node(kind, "karpenter", now + cluster.jitter(cluster.latencies["karpenter-node-ready"]),
                                    spot=spot)
            if spot:
                self.market.launched(node, now)
            cluster.note("Karpenter", counts, lambda: (
                f"launches {kind}{' Spot' if spot else ''} (Ready in {node.ready_at - now:.0f} s) for "
                + ", ".join(f"{count} {name}" for name, count in counts.items())
                + f" of the batch's pending pods: the cheapest of the types under the NodePool limits that still "
                  f"hold them all ({', '.join(fitting)})"
                + (f", from NodePool {pool.name} (weight {pool.weight}, the first with room)"
                   if len(self.pools) > 1 else "")))
            for state in waiting:
                if counts.get(state.spec.name):
                    cluster.reserve(node, state, counts[state.spec.name])
                    need[state.spec.name] -= counts[state.spec.name]

    def _open_pool(self, used: dict[str, list[float]], now: float):
        """The first NodePool by weight with an instance type still under its limits (scheduler
        remainingResources) and, for Spot, an available offering; with those types."""
        shapes = self.cluster.shapes
        for pool in self.pools:
            cpu, memory = used[pool.capacity_type]
            open_types = [name for name in self.allowed
                          if cpu + shapes[name].capacity_cpu <= self.cpu_limit
                          and memory + shapes[name].capacity_memory <= self.memory_limit
                          and (pool.capacity_type != SPOT or self.market.available(name, now))]
            if open_types:
                return pool, open_types
        return None
