"""A model of CloudFormation updating a deployed assembly (old templates) to a new one, offline.

The order follows CloudFormation's update of a stack with nested stacks: every resource of the new
templates, after everything it waits for (tests/deploy_graph.py), is created (a new logical id),
replaced (a create-only property changed: the new physical resource is created first) or updated (its
properties changed); then, in the cleanup phase, the removed resources and the old physical resources of
replaced ones are deleted, in the reverse of the old templates' order. A custom resource is never
replaced: its handler (the aws-eks-v2 kubectl provider) returns no physical id, so the provider framework
keeps the old one and CloudFormation sends an Update with the new properties.

Values are resolved as CloudFormation would: Ref and Fn::GetAtt to physical ids, parameters of nested
stacks through their parents, their outputs through the parent's GetAtt. A physical id is the resource's
own name, if it has one, with a hash of its create-only properties, so a replacement gets a new one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.deploy_graph import DeployGraph, Node
from tests.update_safety import Templates, _property, _schema, identity

PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "111122223333", "AWS::Partition": "aws",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "EksScalingStack", "AWS::NoValue": None,
          "AWS::StackId": "stack-id"}
ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


class Side:
    """One assembly's templates with every value resolved as CloudFormation would at deploy time."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates
        self.graph = DeployGraph.of_templates(templates)
        self.parents = {resource["Metadata"]["nested"]: (file, key) for file, template in templates.items()
                        for key, resource in template["Resources"].items()
                        if resource["Type"] == "AWS::CloudFormation::Stack"}
        self._physical: dict[Node, str] = {}

    def resource(self, node: Node) -> dict[str, Any]:
        return self.templates[node[0]]["Resources"][node[1]]

    def physical(self, node: Node) -> str:
        if node not in self._physical:
            resource = self.resource(node)
            kind = resource["Type"]
            if kind.startswith("Custom::") or kind == "AWS::CloudFormation::Stack":
                self._physical[node] = f"{node[0].split('.')[0]}/{node[1]}"
            else:
                create_only = {path: self.resolve(node[0], _property(resource, path))
                               for path in _schema(kind).get("createOnlyProperties", [])}
                digest = hashlib.sha1(json.dumps(create_only, sort_keys=True).encode()).hexdigest()[:8]
                self._physical[node] = f"{self.name(node) or node[1]}#{digest}"
        return self._physical[node]

    def name(self, node: Node) -> str | None:
        """A custom-named resource's name (the values of its identity properties)."""
        resource = self.resource(node)
        paths = identity(resource["Type"], resource)
        return "/".join(str(self.resolve(node[0], _property(resource, p))) for p in paths) if paths else None

    def properties(self, node: Node) -> dict[str, Any]:
        return self.resolve(node[0], self.resource(node).get("Properties", {}))

    def resolve(self, file: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(file, item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), = value.items()
            intrinsic = _INTRINSICS.get(function)
            if intrinsic:
                return intrinsic(self, file, argument)
        return {key: self.resolve(file, inner) for key, inner in value.items()}

    def ref(self, file: str, name: str) -> Any:
        template = self.templates[file]
        if name in PSEUDO:
            return PSEUDO[name]
        if name in template.get("Resources", {}):
            return self.physical((file, name))
        if file in self.parents:  # a nested stack's parameter: what its parent passes
            parent, key = self.parents[file]
            return self.resolve(parent, self.resource((parent, key))["Properties"]["Parameters"][name])
        return f"parameter:{name}"

    def get_att(self, file: str, argument: Any) -> Any:
        name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        resource = self.resource((file, name))
        if resource["Type"] == "AWS::CloudFormation::Stack" and attribute.startswith("Outputs."):
            nested = resource["Metadata"]["nested"]
            return self.resolve(nested, self.templates[nested]["Outputs"][attribute.split(".", 1)[1]]["Value"])
        return f"{self.physical((file, name))}.{attribute}"


def _sub(side: Side, file: str, argument: Any) -> str:
    text, names = (argument if isinstance(argument, list) else [argument, {}])

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in names:
            return str(side.resolve(file, names[name]))
        if "." in name and name not in PSEUDO:
            return str(side.get_att(file, name))
        return str(side.ref(file, name))
    return re.sub(r"\$\{([A-Za-z0-9:.]+)\}", value, text)


def _select(index: int, items: list[Any]) -> Any:
    """An item; a part of an attribute the model does not know (an OIDC issuer's host) stays symbolic."""
    return items[index] if index < len(items) else f"{'/'.join(map(str, items))}[{index}]"


_INTRINSICS: dict[str, Callable[[Side, str, Any], Any]] = {
    "Ref": lambda side, file, name: side.ref(file, name),
    "Fn::GetAtt": lambda side, file, argument: side.get_att(file, argument),
    "Fn::Join": lambda side, file, argument: argument[0].join(
        str(part) for part in side.resolve(file, argument[1])),
    "Fn::Select": lambda side, file, argument: _select(int(side.resolve(file, argument[0])),
                                                       side.resolve(file, argument[1])),
    "Fn::Split": lambda side, file, argument: side.resolve(file, argument[1]).split(argument[0]),
    "Fn::GetAZs": lambda side, file, argument: ZONES,
    "Fn::Sub": _sub,
    # Only CDK's metadata resource is conditional here: its condition is taken as false.
    "Fn::If": lambda side, file, argument: side.resolve(file, argument[2]),
}


@dataclass
class Step:
    """One request CloudFormation makes: Create, Update or Delete of a resource with its properties."""

    action: str
    node: Node
    kind: str
    physical: str
    properties: dict[str, Any]
    old_properties: dict[str, Any] | None = None


@dataclass
class Replay:
    """The steps of an update, in CloudFormation's order, and what EC2 refuses along the way."""

    steps: list[Step] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


def update_steps(old: Templates, new: Templates) -> Replay:
    before, after = Side(old), Side(new)
    replay = Replay()
    live: dict[str, tuple[str, dict[str, Any]]] = {}  # physical id -> (type, properties)
    for node in before.graph.order():
        live[before.physical(node)] = (before.resource(node)["Type"], before.properties(node))
    for node in after.graph.order():
        kind, properties = after.resource(node)["Type"], after.properties(node)
        known = node in before.graph.waits_for and before.resource(node)["Type"] == kind
        physical = after.physical(node)
        if known and physical == before.physical(node):
            old_properties = before.properties(node)
            if old_properties != properties:
                replay.steps.append(Step("Update", node, kind, physical, properties, old_properties))
                live[physical] = (kind, properties)
            continue
        replay.findings += _refused_create(node, kind, after.name(node), properties, live)
        replay.steps.append(Step("Create", node, kind, physical, properties))
        live[physical] = (kind, properties)
    gone = [node for node in before.graph.order()
            if node not in after.graph.waits_for or before.resource(node)["Type"] != after.resource(node)["Type"]
            or before.physical(node) != after.physical(node)]
    for node in reversed(gone):
        replay.steps.append(Step("Delete", node, before.resource(node)["Type"], before.physical(node),
                                 before.properties(node)))
    return replay


def _refused_create(node: Node, kind: str, name: str | None, properties: dict[str, Any],
                    live: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    """What EC2 and the other services refuse when a resource is created beside the live ones: a subnet
    CIDR overlapping another in the VPC (EC2 CreateSubnet: InvalidSubnet.Conflict), a name taken."""
    found = []
    if kind == "AWS::EC2::Subnet":
        cidr = ipaddress.ip_network(properties["CidrBlock"])
        found += [f"{node[1]}: CIDR {cidr} overlaps live subnet {other} ({theirs['CidrBlock']}) in the same VPC"
                  for other, (their_kind, theirs) in live.items() if their_kind == kind
                  and theirs.get("VpcId") == properties.get("VpcId")
                  and ipaddress.ip_network(theirs["CidrBlock"]).overlaps(cidr)]
    if name:
        found += [f"{node[1]}: {kind} named {name} exists already ({other})"
                  for other, (their_kind, _) in live.items() if their_kind == kind and other.split("#")[0] == name]
    return found
