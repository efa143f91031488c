"""Validating custom resources against the CRDs of the pinned charts (tests/reference/crds/), strictly.

The CRD's openAPIV3Schema is checked as JSON Schema with every object that lists its properties
closed to others, as `kubectl apply` (strict field validation) would reject unknown fields.
CEL rules (x-kubernetes-validations) are not evaluated. `make crds` refreshes the CRDs from the charts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from eks_scaling.versions import MATRIX
from scripts.refresh_crds import OUT as CRDS
from scripts.refresh_crds import SOURCES, folder_name

# API group of a custom resource the app applies -> the chart whose CRDs define it.
# CapacityBuffer (autoscaling.x-k8s.io) is served by the CRD Karpenter's chart ships.
CHARTS = {"karpenter.sh": "karpenter", "karpenter.k8s.aws": "karpenter", "autoscaling.x-k8s.io": "karpenter",
          "keda.sh": "keda"}


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] in CHARTS


def crd_folder(obj: dict[str, Any], kubernetes_version: str) -> Path:
    """The CRDs of the chart version that the cluster's row of the matrix pins."""
    source = next(source for source in SOURCES if source.folder == CHARTS[obj["apiVersion"].split("/")[0]])
    return CRDS / folder_name(source, source.version(MATRIX[kubernetes_version]))


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _strict(value) for key, value in schema.items()}
    if ("properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        closed["additionalProperties"] = False
    return closed


@cache
def _schemas(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(folder.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd:
                continue
            for version in crd["spec"]["versions"]:
                api_version = f"{crd['spec']['group']}/{version['name']}"
                schema = _strict(version["schema"]["openAPIV3Schema"])
                schema["properties"]["metadata"] = {"type": "object"}  # ObjectMeta is not in the CRD
                schemas[(api_version, crd["spec"]["names"]["kind"])] = schema
    return schemas


def kinds(folder: Path) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every CRD version in the folder."""
    return set(_schemas(folder))


def validate(obj: dict[str, Any], kubernetes_version: str) -> None:
    """Raise jsonschema.ValidationError (or KeyError for an unknown kind) if obj breaks its CRD."""
    schema = _schemas(crd_folder(obj, kubernetes_version))[(obj["apiVersion"], obj["kind"])]
    jsonschema.validate(obj, schema)
