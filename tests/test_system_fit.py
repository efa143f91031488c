"""The scheduling-fit check: every controller fits the system nodes at their minimum size and smallest
type, the rejections carry the numbers, and the footprints it uses agree with the synthesized charts."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eks_scaling.controller_footprints import system_controllers
from eks_scaling.instance_types import allocatable, instance_type
from eks_scaling.parse_settings import parse_config
from eks_scaling.quantities import cpu_millicores, memory_mib
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.system_fit import check_system_fit, node_room
from planner.engine.nodes import Shape
from tests.context import with_defaults
from tests.synth import CONFIGS, PIPELINE, chart_values

ROOT = Path(__file__).resolve().parent.parent
HELM = "Custom::AWSCDK-EKS-HelmChart"


def config(**overrides):
    return parse_config(with_defaults(overrides))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_test_configuration_fits(name):
    check_system_fit(config(**CONFIGS[name]))


def test_room_on_an_m5_large_by_hand():
    # 2 vCPU: 2000m - kube-reserved 70m - DaemonSets (aws-node's two containers 2 x 25m, kube-proxy 100m,
    # ebs-csi-node 30m) - the 2 % margin of 1930m (39m);
    # 8192Mi - 7.5 % VM overhead (614.4, rounded up to 615Mi as Karpenter does) - kube-reserved
    # (11 x 29 + 255 = 574Mi) - eviction 100Mi - ebs-csi-node 120Mi - the 2 % margin of 6903Mi (139Mi);
    # 29 pods - 5 DaemonSet pods.
    room = node_room(config())
    assert (room.cpu_millicores, room.memory_mib, room.pods) == (2000 - 70 - 180 - 39,
                                                                 8192 - 615 - 574 - 100 - 120 - 139, 24)


def test_graviton_system_nodes_keep_64mi_more():
    # m6g.large: 8192Mi less 64Mi for Graviton (Karpenter v1.14.1 types.go memory()), then the same steps.
    room = node_room(config(systemNodeInstanceTypes='["m6g.large"]'))
    memory = 8192 - 64
    allocatable = memory - math.ceil(memory * 0.075) - (11 * 29 + 255) - 100
    assert room.memory_mib == allocatable - 120 - math.ceil(allocatable * 0.02)


def test_the_planner_sizes_nodes_with_the_same_arithmetic():
    for name in ("m5.large", "m6g.large", "c5.xlarge"):
        spec = instance_type(name)
        shape, room = Shape.of(spec, (0.0, 0.0, 0)), allocatable(spec)
        assert (shape.cpu * 1000, shape.memory * 1024, shape.max_pods) == pytest.approx(
            (room.cpu_millicores, room.memory_mib, room.pods))


def test_one_system_node_is_rejected_for_karpenter_anti_affinity():
    with pytest.raises(ConfigError) as error:
        check_system_fit(config(systemNodeMinSize="1", systemNodeDesiredSize="1"))
    assert str(error.value) == (
        'invalid settings systemNodeMinSize=1, systemNodeInstanceTypes=["m5.large"]: karpenter runs 2 replicas, '
        "one per node (required pod anti-affinity), and the system node group can shrink to 1; "
        "set systemNodeMinSize and systemNodeDesiredSize to at least 2")


def test_one_system_node_is_enough_without_karpenter():
    check_system_fit(config(nodeAutoscaler="none", systemNodeMinSize="1", systemNodeDesiredSize="1"))


def test_requests_beyond_the_nodes_are_rejected_with_the_numbers():
    with pytest.raises(ConfigError) as error:
        check_system_fit(config(karpenterControllerCpu="1500m"))
    message = str(error.value)
    assert message.startswith(
        'invalid settings systemNodeMinSize=2, systemNodeInstanceTypes=["m5.large"]: the controllers do not fit '
        "2 system nodes (")
    # 2 x 1500m (Karpenter) + CoreDNS 200m + metrics-server 200m + KEDA 300m + EBS CSI controller 120m
    # + Prometheus server 200m and its config reloader 10m, Alertmanager 10m, kube-state-metrics 10m and
    # 2 x 100m adapter.
    assert "they request 4250m, " in message and "karpenter 2x1500m/1024Mi" in message
    assert "leaves 1711m, 6644Mi and 24 pods per node" in message
    assert "\n" not in message


def _app_error(context: dict) -> str:
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CDK_CONTEXT_JSON": json.dumps(context)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_the_app_fails_synth_in_one_line():
    assert _app_error({"systemNodeMinSize": "1", "systemNodeDesiredSize": "1"}).startswith(
        "error: invalid settings systemNodeMinSize=1")


def test_each_pipeline_stage_is_checked():
    stages = [dict(PIPELINE["stages"][0]), PIPELINE["stages"][1]]
    stages[0]["settings"] = {**stages[0]["settings"], "systemNodeMinSize": 1, "systemNodeDesiredSize": 1}
    assert _app_error({"pipeline": {**PIPELINE, "stages": stages}}).startswith(
        "error: invalid settings systemNodeMinSize=1")


# Where each controller's replicas and requests sit in its chart's values, and the chart's defaults at the
# pinned version for what the app leaves unset (the sources are named in eks_scaling/controller_footprints.py).
CHART_PLACES = {
    "karpenter": ("karpenter", ("replicas",), ("controller", "resources"), (2, 0, 0)),
    "cluster-autoscaler": ("cluster-autoscaler", ("replicaCount",), ("resources",), (1, 0, 0)),
    "metrics-server": ("metrics-server", ("replicas",), ("resources",), (1, 100, 200)),
    "keda-operator": ("keda", ("operator", "replicaCount"), ("resources", "operator"), (1, 100, 100)),
    "keda-metrics-apiserver": ("keda", ("metricsServer", "replicaCount"), ("resources", "metricServer"), (1, 100, 100)),
    "keda-admission-webhooks": ("keda", ("webhooks", "replicaCount"), ("resources", "webhooks"), (1, 100, 100)),
    "prometheus-server": ("prometheus", ("server", "replicaCount"), ("server", "resources"), (1, 0, 0)),
    "alertmanager": ("prometheus", ("alertmanager", "replicaCount"), ("alertmanager", "resources"), (1, 0, 0)),
    "kube-state-metrics": ("prometheus", ("kube-state-metrics", "replicas"), ("kube-state-metrics", "resources"),
                           (1, 0, 0)),
    "prometheus-pushgateway": ("prometheus", ("prometheus-pushgateway", "replicaCount"),
                               ("prometheus-pushgateway", "resources"), (1, 0, 0)),
    "prometheus-adapter": ("prometheus-adapter", ("replicas",), ("resources",), (1, 0, 0)),
}
# Containers beside the main one in the same pod, whose requests the pod's footprint adds.
SIDECARS = {"prometheus-server": [("configmapReload", "prometheus", "resources")]}
# Deployed by EKS add-ons, not charts: their numbers are the add-ons' defaults.
ADD_ONS = {"coredns", "ebs-csi-controller"}


def _get(values: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


@pytest.mark.parametrize("name", ["default", "k8s-1.36-both-arm-public", "k8s-1.33-ca-irsa"])
def test_footprints_agree_with_the_synthesized_charts(synth, name):
    result = synth(name)
    charts = {resource["Properties"]["Chart"]: chart_values(resource) if "Values" in resource["Properties"] else {}
              for template in result.template_files().values()
              for resource in template.get("Resources", {}).values() if resource["Type"] == HELM}
    footprints = {footprint.name: footprint for footprint in system_controllers(result.stack.config)}
    for footprint in footprints.values():
        assert footprint.name in CHART_PLACES or footprint.name in ADD_ONS, f"say where {footprint.name} is set"
    for controller, (chart, replicas_at, resources_at, defaults) in CHART_PLACES.items():
        if chart not in charts or _get(charts[chart], (resources_at[0], "enabled")) is False:
            assert controller not in footprints, f"{controller} is not deployed but counted"
            continue
        values, footprint = charts[chart], footprints[controller]
        requests = _get(values, resources_at + ("requests",))
        replicas = _get(values, replicas_at)
        assert footprint.replicas == (defaults[0] if replicas is None else replicas), controller
        expected = defaults[1:] if requests is None else (
            cpu_millicores(str(requests.get("cpu", "0"))), memory_mib(str(requests.get("memory", "0Mi"))))
        for sidecar in SIDECARS.get(controller, []):
            extra = _get(values, sidecar + ("requests",)) or {}
            expected = (expected[0] + cpu_millicores(str(extra.get("cpu", "0"))),
                        expected[1] + memory_mib(str(extra.get("memory", "0Mi"))))
        assert (footprint.cpu_millicores, footprint.memory_mib) == expected, controller
