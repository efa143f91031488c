"""What an update does to a live deployment, replayed offline: tests/deploy_engine.py orders the
CloudFormation requests, tests/kube_model.py runs the kubectl/Helm handlers onto in-memory clusters.

`convergence(old, new)` lists, one line each: every step that fails (AlreadyExists, an immutable field,
a subnet CIDR or a name taken during create-before-delete, a delete that cannot finish, objects left on
a deleted cluster); every object that differs from what a fresh deploy of `new` builds (stale, missing,
another owner or content); and every pod whose credentials change without a new pod template.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from tests.deploy_engine import Side, update_steps
from tests.kube_model import RELEASE, Clusters
from tests.update_safety import HELM, MANIFEST, Templates

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# Where a chart (or EKS add-on) takes the service account its controller pods run as, and the pod
# annotations that reach their pod template, at the pinned versions: karpenter
# (aws/karpenter-provider-aws charts/karpenter/values.yaml: serviceAccount.name, podAnnotations),
# cluster-autoscaler (kubernetes/autoscaler charts/cluster-autoscaler/values.yaml: rbac.serviceAccount.name,
# podAnnotations), the aws-ebs-csi-driver add-on (its configuration schema: controller.podAnnotations;
# the controller runs as ebs-csi-controller-sa).
CHART_PODS = {"karpenter": (("serviceAccount", "name"), ("podAnnotations",)),
              "cluster-autoscaler": (("rbac", "serviceAccount", "name"), ("podAnnotations",))}
ADDON_PODS = {"aws-ebs-csi-driver": ("ebs-csi-controller-sa", ("controller", "podAnnotations"))}


def deployed(templates: Templates) -> Clusters:
    clusters = Clusters()
    for step in update_steps({}, templates).steps:
        clusters.run(step)
    return clusters


def convergence(old: Templates, new: Templates) -> list[str]:
    start = deployed(old)
    assert not start.failures, start.failures
    replay = update_steps(old, new)
    for step in replay.steps:
        start.run(step)
    fresh = deployed(new)
    return replay.findings + start.failures + _differences(start, fresh) + _credential_findings(old, new)


def _differences(updated: Clusters, fresh: Clusters) -> list[str]:
    have, want = updated.state(), fresh.state()
    found = []
    for key in sorted(set(have) | set(want)):
        show = f"{key[1]} {key[2] + '/' if key[2] else ''}{key[3]}"
        if key not in want:
            found.append(f"{show}: stale (left by {have[key][0][1]}; a fresh deploy has none)")
        elif key not in have:
            found.append(f"{show}: missing (a fresh deploy has it from {want[key][0][1]})")
        elif have[key][0] != want[key][0]:
            found.append(f"{show}: owned by {have[key][0][1]}, in a fresh deploy by {want[key][0][1]}")
        elif have[key][1] != want[key][1]:
            found.append(f"{show}: differs from a fresh deploy's")
    return found


def _credential_findings(old: Templates, new: Templates) -> list[str]:
    """A pod keeps the credentials configuration it started with (the IRSA webhook and the Pod Identity
    agent's injection run at pod creation): when it changes, the pod template must change too."""
    before, after = _pods(Side(old)), _pods(Side(new))
    was, now = _credentials(Side(old)), _credentials(Side(new))
    return [f"{pod}: the credentials of service account {'/'.join(account)} change, its pod template does not"
            for pod, (account, template) in after.items()
            if pod in before and was.get(account) != now.get(account) and before[pod][1] == template]


def _credentials(side: Side) -> dict[tuple[str, str], Any]:
    """(namespace, service account) -> its IRSA annotation and Pod Identity role."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for node, resource in _resources(side):
        properties = side.properties(node) if resource["Type"] in (MANIFEST, "AWS::EKS::PodIdentityAssociation",
                                                                   "AWS::EKS::Addon") else {}
        if resource["Type"] == MANIFEST:
            for obj in json.loads(properties["Manifest"]):
                if obj["kind"] == "ServiceAccount":
                    account = (obj["metadata"].get("namespace", "default"), obj["metadata"]["name"])
                    found.setdefault(account, {})["irsa"] = obj["metadata"].get("annotations", {}).get(IRSA_ANNOTATION)
        elif resource["Type"] == "AWS::EKS::PodIdentityAssociation":
            account = (properties["Namespace"], properties["ServiceAccount"])
            found.setdefault(account, {})["pod-identity"] = properties["RoleArn"]
        elif resource["Type"] == "AWS::EKS::Addon" and properties["AddonName"] in ADDON_PODS:
            account = ("kube-system", ADDON_PODS[properties["AddonName"]][0])
            found.setdefault(account, {}).update({"irsa": properties.get("ServiceAccountRoleArn"),
                                                  "pod-identity": properties.get("PodIdentityAssociations")})
    return found


def _pods(side: Side) -> dict[str, tuple[tuple[str, str], Any]]:
    """Controller pods by their owner: (their service account, what of their pod template the app sets)."""
    found = {}
    for node, resource in _resources(side):
        if resource["Type"] == HELM:
            properties = side.properties(node)
            if properties["Chart"] in CHART_PODS:
                values = json.loads(properties.get("Values") or "{}")
                account_path, template_path = CHART_PODS[properties["Chart"]]
                account = (properties.get("Namespace") or "default", _at(values, account_path))
                found[f"{RELEASE} {properties['Release']}"] = (account, _at(values, template_path))
        elif resource["Type"] == "AWS::EKS::Addon":
            properties = side.properties(node)
            if properties["AddonName"] in ADDON_PODS:
                account_name, template_path = ADDON_PODS[properties["AddonName"]]
                values = json.loads(properties.get("ConfigurationValues") or "{}")
                found[f"add-on {properties['AddonName']}"] = (("kube-system", account_name), _at(values, template_path))
    return found


def _resources(side: Side) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    for file, template in side.templates.items():
        for key, resource in template["Resources"].items():
            yield (file, key), resource


def _at(values: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        values = values.get(part) if isinstance(values, dict) else None
    return values
