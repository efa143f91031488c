"""Where a workload's pods may run: a node selector and the tolerations that go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

ARCH_LABEL = "kubernetes.io/arch"
# The architectures of EKS nodes this app launches (AL2023 x86_64 and arm64 AMIs).
NODE_ARCHITECTURES = frozenset({"amd64", "arm64"})


def tolerating(taint: Mapping[str, str]) -> dict[str, str]:
    """The toleration of one taint, whatever its value."""
    return {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]}


@dataclass(frozen=True)
class Placement:
    node_selector: Mapping[str, str]
    tolerations: tuple[Mapping[str, str], ...] = field(default=())

    def pod_fields(self) -> dict[str, Any]:
        """`nodeSelector` and `tolerations`, as pod specs and most charts' values spell them."""
        return {"nodeSelector": dict(self.node_selector), "tolerations": [dict(t) for t in self.tolerations]}

    def for_image(self, architectures: frozenset[str]) -> "Placement":
        """This placement, narrowed to the one architecture an image is published for when it lacks others."""
        if architectures >= NODE_ARCHITECTURES:
            return self
        (architecture,) = architectures & NODE_ARCHITECTURES
        return Placement({**self.node_selector, ARCH_LABEL: architecture}, self.tolerations)
