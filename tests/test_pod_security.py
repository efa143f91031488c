"""Least privilege inside the cluster and for Pod Identity: demo pods, controller resources, trust policies."""

from __future__ import annotations

import pytest

from eks_scaling.controller_footprints import system_controllers
from eks_scaling.versions import DEMO_IMAGES
from tests.synth import CONFIGS
from tests.test_pod_placement import demo_pods

POD_IDENTITY_TAGS = ("aws:RequestTag/eks-cluster-name", "aws:RequestTag/kubernetes-namespace",
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
