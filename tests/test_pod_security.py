"""Least privilege inside the cluster and for Pod Identity: demo pods, controller resources, trust policies."""

from __future__ import annotations

import pytest

from eks_scaling.controller_footprints import system_controllers
from eks_scaling.versions import DEMO_IMAGES
from tests.synth import CONFIGS, chart_values
from tests.test_pod_placement import demo_pods

HELM = "Custom::AWSCDK-EKS-HelmChart"
POD_IDENTITY_TAGS = ("aws:RequestTag/eks-cluster-arn", "aws:RequestTag/kubernetes-namespace",
                     "aws:RequestTag/kubernetes-service-account")


def _violations(pod: dict, needs_root: bool) -> list[str]:
    found = []
    if pod.get("automountServiceAccountToken") is not False:
        found.append("mounts a service-account token")
    context = pod.get("securityContext", {})
    if context.get("seccompProfile") != {"type": "RuntimeDefault"}:
        found.append("no RuntimeDefault seccomp profile")
    if not needs_root and not (context.get("runAsNonRoot") is True and isinstance(context.get("runAsUser"), int)):
        found.append("may run as root (restricted profile: runAsNonRoot with a numeric runAsUser)")
    for container in pod["containers"] + pod.get("initContainers", []):
        security = container.get("securityContext", {})
        if security.get("allowPrivilegeEscalation") is not False:
            found.append(f"{container['name']} may escalate privileges")
        if not needs_root and "ALL" not in security.get("capabilities", {}).get("drop", []):
            found.append(f"{container['name']} keeps its capabilities")
    return found


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_demo_pod_meets_the_rules(synth, name):
    """Baseline for all: no token, RuntimeDefault seccomp, no privilege escalation; the restricted profile
    for every image that does not need root (eks_scaling/versions.py, Image.needs_root)."""
    images = {image.reference: image for image in DEMO_IMAGES}
    for workload, pod in demo_pods(synth(name)).items():
        needs_root = any(images[container["image"]].needs_root for container in pod["containers"])
        assert not _violations(pod, needs_root), f"{workload}: {', '.join(_violations(pod, needs_root))}"


def test_php_apache_requests_memory(default):
    pod = demo_pods(default)["php-apache/php-apache"]
    assert pod["containers"][0]["resources"]["requests"]["memory"]


def _prometheus_chart_pods(values: dict) -> dict[str, tuple[dict, list[dict]]]:
    """Each prometheus chart pod's (pod securityContext, [container securityContext]) from the synthesized
    values merged over the chart defaults the app relies on (prometheus-29.27.0, alertmanager-1.42.0,
    kube-state-metrics-8.4.0, prometheus-node-exporter-4.56.1 values.yaml)."""
    ksm_pod = {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}}
    ksm_container = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                     "capabilities": {"drop": ["ALL"]}}
    return {
        "server": (values["server"].get("securityContext", {}),
                   [values["server"].get("containerSecurityContext", {}),
                    values.get("configmapReload", {}).get("prometheus", {}).get("containerSecurityContext", {})]),
        "alertmanager": ({**values["alertmanager"].get("securityContext", {}),
                          **values["alertmanager"].get("podSecurityContext", {})},
                         [values["alertmanager"].get("securityContext", {})]),
        "kube-state-metrics": ({**ksm_pod, **values["kube-state-metrics"].get("securityContext", {})},
                               [{**ksm_container, **values["kube-state-metrics"].get("containerSecurityContext", {})}]),
        "node-exporter": (values.get("prometheus-node-exporter", {}).get("securityContext", {}),
                          [values.get("prometheus-node-exporter", {}).get("containerSecurityContext", {})]),
    }


def test_prometheus_chart_pods_are_restricted(default):
    """Issue 19, item 13: no escalation, no capabilities, RuntimeDefault seccomp, non-root, read-only root
    filesystems, requests for the config reloader, and no token where the API is not used."""
    (chart,) = [resource for resource in default.nested("prometheus").find_resources(HELM).values()
                if resource["Properties"]["Chart"] == "prometheus"]
    values = chart_values(chart)
    for pod_name, (pod, containers) in _prometheus_chart_pods(values).items():
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, pod_name
        assert pod.get("runAsNonRoot") is True or all(c.get("runAsNonRoot") for c in containers), pod_name
        for container in containers:
            assert container.get("allowPrivilegeEscalation") is False, pod_name
            assert container.get("capabilities", {}).get("drop") == ["ALL"], pod_name
            assert container.get("readOnlyRootFilesystem") is True, pod_name
    assert values["configmapReload"]["prometheus"]["resources"]["requests"].keys() == {"cpu", "memory"}
    assert values["alertmanager"]["automountServiceAccountToken"] is False


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_controller_requests_cpu_and_memory(synth, name):
    """The footprints are the synthesized values (tests/test_system_fit.py checks that): none is empty."""
    for footprint in system_controllers(synth(name).stack.config):
        assert footprint.cpu_millicores > 0 and footprint.memory_mib > 0, f"{footprint.name} requests nothing"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_pod_identity_role_trusts_one_service_account_of_this_cluster(synth, name):
    result = synth(name)
    roles = [resource for template in result.template_files().values() for resource in template["Resources"].values()
             if resource["Type"] == "AWS::IAM::Role"
             and any(statement.get("Principal", {}).get("Service") == "pods.eks.amazonaws.com"
                     for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"])]
    assert len(roles) == (0 if result.stack.config.workload_identity == "irsa" else
                          sum((result.stack.config.enable_karpenter, result.stack.config.enable_cluster_autoscaler,
                               result.stack.config.enable_prometheus)))
    for role in roles:
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            equals = statement.get("Condition", {}).get("StringEquals", {})
            assert all(equals.get(tag) for tag in POD_IDENTITY_TAGS), f"unconditioned trust: {statement}"
            arn = equals["aws:RequestTag/eks-cluster-arn"]
            if result.stack.config.existing_cluster:  # imported: its ARN in the stack's account and region
                assert arn == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":eks:", {"Ref": "AWS::Region"},
                                                 ":", {"Ref": "AWS::AccountId"}, ":cluster/prod"]]}, arn
            else:
                assert "Arn" in str(arn), "the cluster's ARN, not its name"
