"""The aws-eks-v2 kubectl provider's handlers, modelled onto in-memory clusters.

The handlers are the ones aws-cdk-lib 2.275.0 (requirements.txt) ships, in its asset
custom-resource-handlers/dist/aws-eks-v2/kubectl-handler/ (after a synth: cdk.out/asset.*/):
- apply/__init__.py, KubernetesManifest: Create runs `kubectl create --save-config` (lines 53-62; `kubectl
  apply` if Overwrite), Update `kubectl apply --prune -l <PruneLabel>` (lines 63-67), Delete `kubectl
  delete -f` of the old manifest with every error logged and swallowed (lines 68-72).
- helm/__init__.py, HelmChart: Create and Update run `helm upgrade --install` (line 97, flags at lines
  209-233, `--create-namespace` when CreateNamespace), Delete `helm uninstall`, errors swallowed (lines 98-102).
Both act on the cluster the event's ClusterName names (`aws eks update-kubeconfig --name`).

kubectl's prune (kubernetes/kubectl at v0.33.0 to v0.36.3, the layers' kubectl 1.33-1.36, identical
there): with no --prune-allowlist only the kinds of pkg/util/prune/prune.go lines 28-50 are pruned,
namespaced ones only in the namespaces the apply visited (pkg/cmd/apply/prune.go lines 79-85; apply.go
line 1034), and only objects carrying the last-applied annotation (prune.go lines 117-121).
Charts are not rendered: a release stands for its objects, in its namespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.deploy_engine import Step
from tests.deploy_graph import Node
from tests.update_safety import HELM, MANIFEST, refused_changes

Key = tuple[str, str, str, str]  # (cluster, kind, namespace, name)

PRUNED_NAMESPACED = {"ConfigMap", "Endpoints", "PersistentVolumeClaim", "Pod", "ReplicationController", "Secret",
                     "Service", "Job", "CronJob", "Ingress", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}
PRUNED_CLUSTER_SCOPED = {"Namespace", "PersistentVolume"}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "PriorityClass", "ClusterRole",
                  "ClusterRoleBinding", "NodePool", "EC2NodeClass", "CustomResourceDefinition", "APIService"}
RELEASE = "HelmRelease"
# Every EKS cluster has these namespaces; one that `helm --create-namespace` creates belongs to no
# resource either: helm uninstall leaves it (helm's pkg/action/uninstall.go deletes the release's objects only).
BUILT_IN = ("default", "kube-system", "kube-public", "kube-node-lease")
NO_OWNER: Node = ("", "the cluster")
# Karpenter's finalizers on these hold their delete until the controller has terminated the nodes
# (kubernetes-sigs/karpenter pkg/controllers/nodepool/termination): without the controller, `kubectl
# delete` waits until the Lambda's 15 minutes run out.
KARPENTER_FINALIZED = {"NodePool", "EC2NodeClass"}


@dataclass
class KubeObject:
    owner: Node
    body: dict[str, Any]
    applied: bool  # carries kubectl's last-applied annotation (create --save-config, apply)


@dataclass
class Clusters:
    """Every object on every cluster, with the custom resource that put it there."""

    live: set[str] = field(default_factory=set)
    objects: dict[Key, KubeObject] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def run(self, step: Step) -> None:
        if step.kind == "AWS::EKS::Cluster":
            self._cluster(step)
        elif step.kind == MANIFEST:
            self._manifest(step)
        elif step.kind == HELM:
            self._chart(step)

    def state(self) -> dict[Key, tuple[Node, str]]:
        """Every object but an empty namespace `helm --create-namespace` left: it holds and costs nothing,
        and a later install into it reuses it."""
        used = {(key[0], key[2]) for key in self.objects if key[2]}
        return {key: (obj.owner, json.dumps(obj.body, sort_keys=True)) for key, obj in self.objects.items()
                if not (obj.owner == NO_OWNER and key[1] == "Namespace" and (key[0], key[3]) not in used
                        and key[3] not in BUILT_IN)}

    def _fail(self, step: Step, reason: str) -> None:
        self.failures.append(f"{step.action} {step.node[0].split('.')[0]}/{step.node[1]}: {reason}")

    def _cluster(self, step: Step) -> None:
        if step.action == "Create":
            self.live.add(step.physical)
            for name in BUILT_IN:
                self.objects[(step.physical, "Namespace", "", name)] = KubeObject(
                    NO_OWNER, {"kind": "Namespace", "metadata": {"name": name}}, applied=False)
        elif step.action == "Delete":
            self.live.discard(step.physical)
            left = sorted(f"{key[1]} {key[2]}/{key[3]}".replace(" /", " ") for key, obj in self.objects.items()
                          if key[0] == step.physical and obj.owner != NO_OWNER)
            if left:
                self._fail(step, f"cluster {step.physical} deleted with {len(left)} objects nothing removed "
                                 f"(their nodes and volumes orphaned): {', '.join(left[:5])}")

    def _target(self, step: Step, properties: dict[str, Any]) -> str | None:
        cluster = properties["ClusterName"]
        if cluster not in self.live:
            self._fail(step, f"cluster {cluster} does not exist")
            return None
        return cluster

    def _manifest(self, step: Step) -> None:
        if step.action == "Update" and step.old_properties["ClusterName"] != step.properties["ClusterName"]:
            self._fail(step, f"applied to {step.properties['ClusterName']}; nothing deletes its objects from "
                             f"{step.old_properties['ClusterName']}")
        cluster = self._target(step, step.properties)
        if cluster is None:
            return
        objects = json.loads(step.properties["Manifest"])
        if step.action == "Delete":
            for obj in objects:
                self._delete(step, _key(cluster, obj))
        elif step.action == "Create" and str(step.properties.get("Overwrite")).lower() != "true":
            for obj in objects:
                key = _key(cluster, obj)
                if key in self.objects:
                    self._fail(step, f"kubectl create: {key[1]} {key[3]} AlreadyExists (owned by {self.objects[key].owner[1]})")
                else:
                    self.objects[key] = KubeObject(step.node, obj, applied=True)
        else:
            self._apply(step, cluster, objects)

    def _apply(self, step: Step, cluster: str, objects: list[dict[str, Any]]) -> None:
        classes = {key[3]: obj.body for key, obj in self.objects.items() if key[1] == "StorageClass"}
        applied = set()
        for obj in objects:
            key = _key(cluster, obj)
            if key in self.objects:
                for reason in refused_changes(self.objects[key].body, obj, classes):
                    self._fail(step, f"kubectl apply: {key[1]} {key[3]}: {reason}")
            self.objects[key] = KubeObject(step.node, obj, applied=True)
            applied.add(key)
        label = step.properties.get("PruneLabel")
        if step.action != "Update" or not label:
            return
        visited = {key[2] for key in applied if key[2]}
        for key, obj in list(self.objects.items()):
            prunable = key[1] in PRUNED_CLUSTER_SCOPED or (key[1] in PRUNED_NAMESPACED and key[2] in visited)
            if (key[0] == cluster and prunable and obj.applied and key not in applied
                    and label in obj.body["metadata"].get("labels", {})):
                self._delete(step, key)

    def _chart(self, step: Step) -> None:
        properties = step.properties
        cluster = self._target(step, properties)
        if cluster is None:
            return
        namespace = properties.get("Namespace") or "default"
        key = (cluster, RELEASE, namespace, properties["Release"])
        if step.action == "Delete":
            self.objects.pop(key, None)  # helm uninstall; an error is swallowed
            return
        namespace_key = (cluster, "Namespace", "", namespace)
        if namespace_key not in self.objects:
            if not properties.get("CreateNamespace"):
                self._fail(step, f"helm upgrade --install: namespace {namespace} not found")
                return
            self.objects[namespace_key] = KubeObject(NO_OWNER, {"kind": "Namespace", "metadata": {"name": namespace}},
                                                     applied=False)
        self.objects[key] = KubeObject(step.node, {key: properties.get(key) for key in ("Chart", "Version", "Values")},
                                       applied=False)

    def _delete(self, step: Step, key: Key) -> None:
        if key not in self.objects:
            return  # kubectl delete: NotFound, swallowed by the handler
        if key[1] in KARPENTER_FINALIZED and not self._karpenter_runs(key[0]):
            self._fail(step, f"kubectl delete {key[1]} {key[3]} cannot finish: Karpenter no longer runs to "
                             "remove its finalizer")
        del self.objects[key]
        if key[1] == "Namespace":  # the namespace controller deletes everything in it
            for inner in [inner for inner in self.objects if inner[0] == key[0] and inner[2] == key[3]]:
                del self.objects[inner]

    def _karpenter_runs(self, cluster: str) -> bool:
        return any(key[0] == cluster and key[1] == RELEASE and obj.body.get("Chart") == "karpenter"
                   for key, obj in self.objects.items())


def _key(cluster: str, obj: dict[str, Any]) -> Key:
    metadata = obj["metadata"]
    namespace = "" if obj["kind"] in CLUSTER_SCOPED else metadata.get("namespace", "default")
    return cluster, obj["kind"], namespace, metadata["name"]
