"""The deploy order CloudFormation follows across a synthesized assembly, nested stacks included.

A resource waits for what it names in DependsOn and for every resource it references (Ref, Fn::GetAtt,
Fn::Sub). A nested stack's resources all wait for what its AWS::CloudFormation::Stack resource waits
for in the parent, and that resource completes only when all of them have.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterator

KUBERNETES_TYPES = ("Custom::AWSCDK-EKS-HelmChart", "Custom::AWSCDK-EKS-KubernetesResource")
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")

Node = tuple[str, str]  # (template file, logical id); logical id "" is the start of a nested template


@dataclass
class DeployGraph:
    templates: dict[str, dict[str, Any]]
    waits_for: dict[Node, set[Node]] = field(default_factory=dict)

    @classmethod
    def of(cls, outdir: Path) -> "DeployGraph":
        return cls.of_templates(read_templates(outdir))

    @classmethod
    def of_templates(cls, templates: dict[str, dict[str, Any]]) -> "DeployGraph":
        graph = cls(templates)
        for file, template in templates.items():
            resources = template.get("Resources", {})
            for key, resource in resources.items():
                graph.waits_for[(file, key)] = {(file, name) for name in _named(resource) if name in resources}
                if resource["Type"] == "AWS::CloudFormation::Stack":
                    nested = resource["Metadata"]["nested"]
                    graph.waits_for[(nested, "")] = set(graph.waits_for[(file, key)])
                    graph.waits_for[(file, key)] |= {(nested, inner) for inner in templates[nested]["Resources"]}
        for file, key in list(graph.waits_for):
            if key and (file, "") in graph.waits_for:
                graph.waits_for[(file, key)].add((file, ""))
        return graph

    def type_of(self, node: Node) -> str:
        file, key = node
        return self.templates[file]["Resources"][key]["Type"] if key else "start"

    def order(self) -> list[Node]:
        """Every resource after all it waits for (nested-stack starts left out); ties in sorted order."""
        done: dict[Node, None] = {}

        def visit(node: Node) -> None:
            if node not in done:
                for dep in sorted(self.waits_for[node]):
                    visit(dep)
                done[node] = None
        for node in sorted(self.waits_for):
            visit(node)
        return [node for node in done if node[1]]

    def longest_kubernetes_chain(self) -> list[Node]:
        """The longest sequence of Kubernetes resources that must deploy one after another."""

        @cache
        def chain(node: Node) -> tuple[Node, ...]:
            before = max((chain(dep) for dep in self.waits_for[node]), key=len, default=())
            return before + ((node,) if self.type_of(node) in KUBERNETES_TYPES else ())

        return list(max((chain(node) for node in self.waits_for), key=len, default=()))


def _named(resource: dict[str, Any]) -> Iterator[str]:
    depends_on = resource.get("DependsOn", [])
    yield from [depends_on] if isinstance(depends_on, str) else depends_on
    yield from references(resource.get("Properties", {}))


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else inner.split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from _SUB_NAME.findall(text)
                if isinstance(inner, list):
                    yield from references(inner[1])
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def read_templates(outdir: Path) -> dict[str, dict[str, Any]]:
    """The assembly's templates; each nested stack resource notes its template file in Metadata.nested."""
    templates = {path.name: json.loads(path.read_text()) for path in outdir.glob("*.template.json")}
    assets = {digest: spec["source"]["path"] for path in outdir.glob("*.assets.json")
              for digest, spec in json.loads(path.read_text())["files"].items()}
    for template in templates.values():
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::CloudFormation::Stack":
                digest = re.search(r"([0-9a-f]{64})\.json", json.dumps(resource["Properties"]["TemplateURL"])).group(1)
                resource.setdefault("Metadata", {})["nested"] = assets[digest]
    return templates
