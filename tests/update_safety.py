"""What an update from one synthesized assembly to another does on a real account, read from the templates.

CloudFormation replaces a resource when one of its create-only properties changes (the resource
schemas cfn-lint ships list them), and refuses to replace a custom-named one under the same name.
The API server refuses changes to some fields of the Kubernetes objects the app applies.
Each finding is one line naming the resource and the reason.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Iterator

import cfnlint.schema

from planner.engine.workloads import quantity
from tests.deploy_graph import references
from tests.synth import chart_values, manifest_objects

Templates = dict[str, dict[str, Any]]  # template file -> template
Node = tuple[str, str]  # (template file, logical id)

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
HELM = "Custom::AWSCDK-EKS-HelmChart"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
# Chart values that end up in fields the API server refuses to change, from the pinned charts'
# templates: (chart, path) -> (kind of rule, where). "fixed": any change is refused; "grow-only":
# a decrease is refused (and an increase needs a StorageClass that allows expansion).
CHART_FIELDS = {
    ("prometheus", ("alertmanager", "persistence", "size")): (
        "fixed", "the alertmanager StatefulSet's volumeClaimTemplates (prometheus-community/helm-charts "
                 "charts/alertmanager/templates/statefulset.yaml, alertmanager-1.42.0)"),
    ("prometheus", ("server", "persistentVolume", "size")): (
        "grow-only", "the Prometheus server's PersistentVolumeClaim (charts/prometheus/templates/pvc.yaml, "
                     "prometheus-29.27.0)"),
}


@cache
def _schema(resource_type: str) -> dict[str, Any]:
    return cfnlint.schema.PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema


def _property(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource.get("Properties", {})
    for part in path.split("/")[2:]:  # "/properties/A/B"
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _own_names(resource_type: str) -> list[str]:
    """Create-only properties that name the resource itself: Name, RoleName on a Role, GroupName on a SecurityGroup."""
    kind = resource_type.split("::")[-1].lower()
    return [path for path in _schema(resource_type).get("createOnlyProperties", [])
            if path.count("/") == 2 and path.endswith("Name") and kind.endswith(path.split("/")[2][:-4].lower())]


def identity(resource_type: str, resource: dict[str, Any]) -> list[str] | None:
    """The property paths that make a custom-named resource's physical identity; None if CloudFormation names it."""
    schema = _schema(resource_type)
    primary = schema.get("primaryIdentifier", [])
    if primary and not set(primary) & set(schema.get("readOnlyProperties", [])):
        return primary if all(_property(resource, path) is not None for path in primary) else None
    own = [path for path in _own_names(resource_type) if _property(resource, path) is not None]
    if not own:
        return None
    # A name is unique within its scope (a node group's within its cluster): the scope's name counts too.
    scopes = [path for path in schema.get("createOnlyProperties", []) if path.endswith("Name") and path not in own]
    return own + scopes


class Update:
    """The update from the `old` templates to the `new` ones."""

    def __init__(self, old: Templates, new: Templates) -> None:
        self.old, self.new = old, new
        self.parents = {nested: (file, key) for file, template in new.items()
                        for key, resource in template["Resources"].items()
                        if resource["Type"] == "AWS::CloudFormation::Stack"
                        for nested in [resource.get("Metadata", {}).get("nested")] if nested}
        self.replaced = self._replaced()

    def common(self) -> Iterator[tuple[Node, dict[str, Any], dict[str, Any]]]:
        for file, template in self.new.items():
            for key, after in template["Resources"].items():
                before = self.old.get(file, {}).get("Resources", {}).get(key)
                if before and before["Type"] == after["Type"]:
                    yield (file, key), before, after

    def _depends_on_replaced(self, file: str, value: Any, replaced: set[Node], seen: frozenset = frozenset()) -> bool:
        """Whether a value resolves, at deploy time, through a resource that is replaced (its id changes)."""
        template = self.new[file]
        for name in references(value):
            if (file, name) in replaced:
                return True
            if name in template.get("Parameters", {}) and file in self.parents and (file, name) not in seen:
                parent_file, stack_key = self.parents[file]
                passed = self.new[parent_file]["Resources"][stack_key]["Properties"].get("Parameters", {}).get(name)
                if self._depends_on_replaced(parent_file, passed, replaced, seen | {(file, name)}):
                    return True
        for output in _nested_outputs(value):
            stack_key, output_name = output
            nested = next((n for n, parent in self.parents.items() if parent == (file, stack_key)), None)
            if nested and self._depends_on_replaced(
                    nested, self.new[nested].get("Outputs", {}).get(output_name, {}).get("Value"), replaced, seen):
                return True
        return False

    def _changes(self, file: str, before: dict, after: dict, paths: list[str], replaced: set[Node]) -> list[str]:
        return [path for path in paths
                if json.dumps(_property(before, path), sort_keys=True) != json.dumps(_property(after, path), sort_keys=True)
                or self._depends_on_replaced(file, _property(after, path), replaced)]

    def _replaced(self) -> set[Node]:
        replaced: set[Node] = set()
        while True:
            found = {node for node, before, after in self.common() if not after["Type"].startswith("Custom::")
                     and self._changes(node[0], before, after,
                                       _schema(after["Type"]).get("createOnlyProperties", []), replaced)}
            if found <= replaced:
                return replaced
            replaced |= found

    def cloudformation_findings(self) -> list[str]:
        findings = []
        for node, before, after in self.common():
            if node not in self.replaced:
                continue
            paths = identity(after["Type"], after)
            if paths and not self._changes(node[0], before, after, paths, self.replaced):
                changed = self._changes(node[0], before, after, _schema(after["Type"])["createOnlyProperties"],
                                        self.replaced)
                findings.append(f"{_show(node)} ({after['Type']}): create-only {', '.join(p.split('/', 2)[2] for p in changed)} "
                                f"changed, so CloudFormation must replace it, and cannot under the same name "
                                f"{', '.join(json.dumps(_property(after, p)) for p in paths)}")
        return findings

    def version_findings(self) -> list[str]:
        """EKS upgrades a cluster one minor at a time and never downgrades (EKS user guide, "update-cluster")."""
        findings = []
        for node, before, after in self.common():
            if after["Type"] == "AWS::EKS::Cluster" and node not in self.replaced:
                old, new = (tuple(int(part) for part in str(r["Properties"]["Version"]).split(".")) for r in (before, after))
                if new < old:
                    findings.append(f"{_show(node)}: Version decreases from {'.'.join(map(str, old))} to "
                                    f"{'.'.join(map(str, new))}: EKS never downgrades a cluster")
                elif new[1] > old[1] + 1:
                    findings.append(f"{_show(node)}: Version skips a minor ({'.'.join(map(str, old))} to "
                                    f"{'.'.join(map(str, new))}): EKS upgrades one minor at a time")
        return findings

    def kubernetes_findings(self) -> list[str]:
        findings = []
        classes = {obj["metadata"]["name"]: obj for obj in self._objects(self.new) if obj["kind"] == "StorageClass"}
        old_objects = {_object_key(obj): obj for obj in self._objects(self.old)}
        for obj in self._objects(self.new):
            before = old_objects.get(_object_key(obj))
            if before:
                findings += [f"{'/'.join(_object_key(obj))}: {reason}" for reason in refused_changes(before, obj, classes)]
        for node, before, after in self.common():
            if after["Type"] == HELM:
                findings += [f"{_show(node)} (chart {after['Properties']['Chart']}): {reason}"
                             for reason in refused_value_changes(before, after, classes)]
        return findings

    def renamed(self) -> list[Node]:
        """Custom-named resources whose name changes: a combined update could hide another change to them."""
        return [node for node, before, after in self.common() if not after["Type"].startswith("Custom::")
                and (paths := identity(after["Type"], after)) and self._changes(node[0], before, after, paths, self.replaced)]

    def removed(self) -> list[Node]:
        return [(file, key) for file, template in self.old.items() for key in template["Resources"]
                if key not in self.new.get(file, {}).get("Resources", {})]

    def findings(self) -> list[str]:
        return self.cloudformation_findings() + self.version_findings() + self.kubernetes_findings()

    @staticmethod
    def _objects(templates: Templates) -> Iterator[dict[str, Any]]:
        for template in templates.values():
            for resource in template["Resources"].values():
                if resource["Type"] == MANIFEST:
                    yield from manifest_objects(resource)


def _nested_outputs(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::GetAtt" and isinstance(inner, list) and str(inner[1]).startswith("Outputs."):
                yield inner[0], inner[1].split(".", 1)[1]
            else:
                yield from _nested_outputs(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _nested_outputs(item)


def _object_key(obj: dict[str, Any]) -> tuple[str, str, str]:
    return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _show(node: Node) -> str:
    return f"{node[0].split('.')[0]}/{node[1]}"


def _storage(claim_spec: dict[str, Any]) -> str:
    return claim_spec["resources"]["requests"]["storage"]


def _storage_change(before: str, after: str, class_name: str | None, classes: dict[str, dict]) -> list[str]:
    old, new = quantity(before, memory=True), quantity(after, memory=True)
    if new < old:
        return [f"storage decreases from {before} to {after}: the API server refuses to shrink a claim"]
    if new > old and not classes.get(class_name or "", {}).get("allowVolumeExpansion"):
        return [f"storage grows from {before} to {after}, but StorageClass {class_name} does not allow expansion"]
    return []


def refused_changes(before: dict[str, Any], after: dict[str, Any], classes: dict[str, dict]) -> list[str]:
    """What the API server refuses in an update of this object (kubernetes/kubernetes pkg/apis/*/validation:
    ValidateStorageClassUpdate, ValidatePersistentVolumeClaimUpdate, ValidateDeploymentUpdate,
    ValidateStatefulSetUpdate, ValidateServiceUpdate)."""
    kind, old, new = after["kind"], before.get("spec", {}), after.get("spec", {})
    fields: list[str] = []
    if kind == "StorageClass":
        fields = [name for name in ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode")
                  if before.get(name) != after.get(name)]
    elif kind in WORKLOADS:
        fields = ["spec.selector"] if old.get("selector") != new.get("selector") else []
        if kind == "StatefulSet":
            fields += [f"spec.{name}" for name in ("volumeClaimTemplates", "serviceName", "podManagementPolicy")
                       if old.get(name) != new.get(name)]
    elif kind == "PersistentVolumeClaim":
        fields = [f"spec.{name}" for name in ("storageClassName", "accessModes", "volumeName")
                  if old.get(name) != new.get(name)]
        if not fields:
            return _storage_change(_storage(old), _storage(new), new.get("storageClassName"), classes)
    elif kind == "Service":
        fields = ["spec.clusterIP"] if old.get("clusterIP") != new.get("clusterIP") else []
    return [f"{field} changes, which the API server refuses" for field in fields]


def _value(values: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        values = values.get(part, {}) if isinstance(values, dict) else {}
    return values or None


def refused_value_changes(before: dict[str, Any], after: dict[str, Any], classes: dict[str, dict]) -> list[str]:
    chart = after["Properties"]["Chart"]
    if not any(name == chart for name, _ in CHART_FIELDS):
        return []
    old, new = chart_values(before), chart_values(after)
    findings = []
    for (name, path), (rule, where) in CHART_FIELDS.items():
        was, now = _value(old, path), _value(new, path)
        if name != chart or was == now:
            continue
        if rule == "fixed":
            findings.append(f"{'.'.join(path)} changes {was} -> {now}: it is {where}, which the API server refuses to change")
        else:
            storage_class = _value(new, (*path[:-1], "storageClass"))
            findings += [f"{'.'.join(path)} ({where}): {reason}"
                         for reason in _storage_change(was, now, storage_class, classes)]
    return findings
