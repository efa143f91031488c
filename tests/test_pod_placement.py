"""Where pods land: every controller on the tainted system nodes, no demo there, every image on nodes of an
architecture it is published for. Node sets are read from the synthesized node groups and NodePool."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from eks_scaling.auto_mode import AUTO_MODE_PLACEMENT, GENERAL_PURPOSE_ARCHITECTURES
from eks_scaling.fargate import FARGATE_ARCHITECTURE, FARGATE_PLACEMENT
from eks_scaling.instance_types import instance_type
from eks_scaling.placements import SYSTEM_NODE_LABELS, SYSTEM_TAINT
from eks_scaling.versions import DEMO_IMAGES
from tests.synth import CONFIGS, chart_values, manifest_objects, resolve

# The existing-cluster configuration's controller node group, as its controllerNodeLabel and
# controllerNodeTaint fields (tests/synth.py) name it.
EXISTING_CONTROLLER_LABELS = {"eks.amazonaws.com/nodegroup": "controllers"}
EXISTING_CONTROLLER_TAINT = {"key": "dedicated", "value": "controllers", "effect": "NoSchedule"}
HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
ARCH = "kubernetes.io/arch"
KUBELET_LABELS = {"kubernetes.io/os": "linux"}  # every node the app launches is Linux
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}

# Per chart, the values blocks that each place pods (nodeSelector + tolerations at that level). Checked by
# rendering each chart at its pinned version with `helm template` (Helm 4.1.4 of the v35 kubectl layer):
# every Deployment/StatefulSet reads exactly these. KEDA's operator, metrics API server and webhooks all
# read the top level; prometheus's node-exporter is a DaemonSet for every node whose chart default
# tolerates every NoSchedule taint, and its pushgateway is off. A chart missing here fails the test.
CHART_POD_VALUES: dict[str, tuple[tuple[str, ...], ...]] = {
    "karpenter-crd": (),
    "karpenter": ((),),
    "cluster-autoscaler": ((),),
    "keda": ((),),
    "metrics-server": ((),),
    "prometheus": (("server",), ("alertmanager",), ("kube-state-metrics",)),
    "prometheus-adapter": ((),),
}

# EKS add-ons the app creates: the configuration block of their controller Deployment, or None for a
# DaemonSet-only add-on that tolerates every taint (eks-pod-identity-agent; eks_scaling/placements.py; vpc-cni's
# aws-node, which tolerates every taint, as eks_scaling/placements.py notes).
ADDON_CONTROLLERS = {"aws-ebs-csi-driver": ("controller",), "coredns": (), "eks-pod-identity-agent": None,
                     "vpc-cni": None}


@dataclass(frozen=True)
class NodeSet:
    name: str
    labels: dict[str, str]
    architectures: frozenset[str]
    taints: tuple[dict[str, str], ...]

    def admits(self, pod: dict) -> bool:
        """Could the scheduler place this pod spec here (node selector and NoSchedule/NoExecute taints)?"""
        for key, value in pod.get("nodeSelector", {}).items():
            if key == ARCH:
                if value not in self.architectures:
                    return False
            elif self.labels.get(key) != value:
                return False
        return all(any(_tolerates(toleration, taint) for toleration in pod.get("tolerations", []))
                   for taint in self.taints if taint["effect"] in ("NoSchedule", "NoExecute"))

    def architectures_for(self, pod: dict) -> frozenset[str]:
        selected = pod.get("nodeSelector", {}).get(ARCH)
        return self.architectures & {selected} if selected else self.architectures


def _tolerates(toleration: dict, taint: dict) -> bool:
    if toleration.get("effect") not in (None, taint["effect"]):
        return False
    if toleration.get("operator") == "Exists":
        return toleration.get("key") in (None, taint["key"])
    return toleration.get("key") == taint["key"] and toleration.get("value") == taint.get("value")


def _architecture(name: str) -> str:
    return "amd64" if instance_type(name).architecture == "x86_64" else "arm64"


def _resources(synth, kind: str) -> list[dict]:
    return [resource for template in synth.template_files().values() for resource in template["Resources"].values()
            if resource["Type"] == kind]


def _objects(synth) -> list[dict]:
    return [obj for resource in _resources(synth, MANIFEST) for obj in manifest_objects(resource)]


def node_sets(synth) -> dict[str, NodeSet]:
    """Every kind of node the app launches: its managed node groups, Auto Mode's and Fargate's, and Karpenter's
    NodePool."""
    found = {}
    for group in _resources(synth, "AWS::EKS::Nodegroup"):
        props = group["Properties"]
        labels = props["Labels"]
        taints = tuple({"key": t["Key"], "value": t.get("Value"), "effect": _EFFECTS[t["Effect"]]}
                       for t in props.get("Taints", []))
        arch = "arm64" if "ARM_64" in props["AmiType"] else "amd64"
        found[labels["role"]] = NodeSet(labels["role"], {**labels, **KUBELET_LABELS, ARCH: arch}, frozenset({arch}),
                                        taints)
    config = synth.stack.config
    if config.existing_cluster:  # the cluster's own controller node group, as docs/deploying.md requires it
        arch = _architecture(config.system_nodes.instance_types[0])
        found["system"] = NodeSet("system", {**EXISTING_CONTROLLER_LABELS, **KUBELET_LABELS, ARCH: arch},
                                  frozenset({arch}), (EXISTING_CONTROLLER_TAINT,))
    for cluster in _resources(synth, "AWS::EKS::Cluster"):
        if cluster["Properties"].get("ComputeConfig", {}).get("Enabled"):
            # Auto Mode's built-in pools (eks_scaling/auto_mode.py): general-purpose amd64, system tainted.
            labels = {**AUTO_MODE_PLACEMENT.node_selector, **KUBELET_LABELS}
            found["auto"] = NodeSet("auto", {**labels, ARCH: "amd64"}, GENERAL_PURPOSE_ARCHITECTURES, ())
            found["auto-system"] = NodeSet("auto-system", labels, frozenset({"amd64", "arm64"}), (SYSTEM_TAINT,))
    if _resources(synth, "AWS::EKS::FargateProfile"):
        # Which pods a profile takes is tests/test_fargate.py's: here, Fargate nodes by their labels.
        found["fargate"] = NodeSet("fargate", {**FARGATE_PLACEMENT.node_selector, **KUBELET_LABELS,
                                               ARCH: FARGATE_ARCHITECTURE}, frozenset({FARGATE_ARCHITECTURE}), ())
    for pool in (obj for obj in _objects(synth) if obj["kind"] == "NodePool"):
        spec = pool["spec"]["template"]
        types = next(r["values"] for r in spec["spec"]["requirements"] if r["key"] == "node.kubernetes.io/instance-type")
        found["karpenter"] = NodeSet("karpenter", {**spec["metadata"]["labels"], **KUBELET_LABELS},
                                     frozenset(_architecture(name) for name in types), tuple(spec["spec"]["taints"]))
    return found


def demo_pods(synth) -> dict[str, dict]:
    """The pod spec of every workload the app applies as a manifest, by namespace/name."""
    return {f'{obj["metadata"]["namespace"]}/{obj["metadata"]["name"]}': obj["spec"]["template"]["spec"]
            for obj in _objects(synth) if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")}


def controller_pods(synth) -> dict[str, dict]:
    """The values block of every pod-placing component of every chart, and of the EBS CSI controller."""
    pods = {}
    for chart in _resources(synth, HELM):
        name = chart["Properties"]["Chart"]
        assert name in CHART_POD_VALUES, f"chart {name}: list where its values place pods"
        values = chart_values(chart) if CHART_POD_VALUES[name] else {}
        for path in CHART_POD_VALUES[name]:
            block = values
            for key in path:
                block = block.get(key, {})
            pods["/".join((name, *path))] = block
    for addon in _resources(synth, "AWS::EKS::Addon"):
        name = addon["Properties"]["AddonName"]
        assert name in ADDON_CONTROLLERS, f"add-on {name}: list where its configuration places pods"
        if ADDON_CONTROLLERS[name] is not None:
            block = json.loads(resolve(addon["Properties"]["ConfigurationValues"]))
            for key in ADDON_CONTROLLERS[name]:
                block = block[key]
            pods[name] = block
    return pods


@pytest.mark.parametrize("name", list(CONFIGS))
def test_coredns_is_held_to_the_system_nodes_too(synth, name):
    """EKS installs CoreDNS unpinned; the system-fit check counts it on the system nodes. An existing
    cluster's CoreDNS is its own: the app does not take it over (docs/deploying.md)."""
    existing = synth(name).stack.config.existing_cluster
    assert ("coredns" in controller_pods(synth(name))) == (existing is None)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_controller_runs_on_the_system_nodes_and_tolerates_their_taint(synth, name):
    result = synth(name)
    system = node_sets(result)["system"]
    pods = controller_pods(result)
    existing = result.stack.config.existing_cluster
    labels, taint = (EXISTING_CONTROLLER_LABELS, EXISTING_CONTROLLER_TAINT) if existing else (SYSTEM_NODE_LABELS, SYSTEM_TAINT)
    for component, pod in pods.items():
        assert pod.get("nodeSelector", {}).items() >= labels.items(), f"{component} is not pinned to the system nodes"
        assert any(_tolerates(toleration, taint) for toleration in pod.get("tolerations", [])), (
            f"{component} does not tolerate {taint}")
        assert system.admits(pod), component
        assert not [other for other in node_sets(result).values() if other.name != "system" and other.admits(pod)], (
            f"{component} could land on nodes an autoscaler manages")


@pytest.mark.parametrize("name", list(CONFIGS))
def test_no_demo_pod_can_land_on_a_tainted_system_node(synth, name):
    result = synth(name)
    sets = node_sets(result)
    system = sets["system"]
    assert bool(system.taints) == result.stack.config.dedicated_system_nodes
    for workload, pod in demo_pods(result).items():
        homes = [node_set.name for node_set in sets.values() if node_set.admits(pod)]
        assert homes, f"{workload} can run nowhere"
        if system.taints:
            assert "system" not in homes, f"{workload} can land on the system nodes"
        else:
            assert homes == ["system"], "with nodeAutoscaler=none the system nodes are the only nodes"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_demo_image_is_published_for_every_node_it_may_land_on(synth, name):
    result = synth(name)
    images = {image.reference: image for image in DEMO_IMAGES}
    sets = node_sets(result).values()
    pods = demo_pods(result)
    assert pods or not (result.stack.config.enable_metrics_server or result.stack.config.node_autoscaler != "none")
    for workload, pod in pods.items():
        for container in pod["containers"]:
            image = images[container["image"]]
            possible = frozenset().union(*(node_set.architectures_for(pod) for node_set in sets if node_set.admits(pod)))
            _assert_published_for(workload, image, possible)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_controller_image_is_published_for_every_system_node_architecture(synth, name):
    """Controllers run on the system nodes (the test above): their images must cover those nodes' architectures
    (arm64 with Graviton `systemNodeInstanceTypes`)."""
    result = synth(name)
    system = node_sets(result)["system"]
    images = result.stack.versions.chart_images
    for chart in _resources(result, HELM):
        for image in images.get(chart["Properties"]["Chart"], ()):
            _assert_published_for(chart["Properties"]["Chart"], image, system.architectures)


def _assert_published_for(workload: str, image, architectures: frozenset[str]) -> None:
    assert architectures <= image.architectures, (
        f"{workload}: {image.repository} is published for {sorted(image.architectures)}, "
        f"and the pod may land on {sorted(architectures)} nodes")


def test_php_apache_always_selects_amd64(synth):
    """Whatever instance types a user gives Karpenter, its selector keeps php-apache on amd64 nodes."""
    result = synth("default")
    pod = demo_pods(result)["php-apache/php-apache"]
    assert pod["nodeSelector"][ARCH] == "amd64"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_image_the_app_names_comes_from_the_matrix_and_no_docker_hub(synth, name):
    result = synth(name)
    row = result.stack.versions
    named = [container["image"] for pod in demo_pods(result).values() for container in pod["containers"]]
    for chart in _resources(result, HELM):
        values = chart_values(chart) if CHART_POD_VALUES[chart["Properties"]["Chart"]] else {}
        if "image" in values:  # a chart's own default images are pinned by the chart version
            named.append(f'{values["image"]["repository"]}:{values["image"]["tag"]}')
    allowed = {image.reference for image in DEMO_IMAGES} | {row.cluster_autoscaler_image.reference}
    for reference in named:
        assert reference in allowed, f"{reference} is not in eks_scaling/versions.py"
        registry = reference.split("/")[0]
        assert "." in registry and registry != "docker.io", f"{reference}: a Docker Hub image (anonymous pull limits)"
