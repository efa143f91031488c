"""Validating custom resources against upstream CRDs (../shared/reference/crds/), strictly.

The CRD's openAPIV3Schema is checked as JSON Schema with every object that lists its properties
closed to others, as `kubectl apply` (strict field validation) would reject unknown fields.
CEL rules (x-kubernetes-validations) are not evaluated.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from stacks.versions import DEFAULT_KUBERNETES_VERSION, MATRIX

CRDS = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "crds"
_PINS = MATRIX[DEFAULT_KUBERNETES_VERSION]
# API group -> the folder of the pinned version's CRDs.
FOLDERS = {"karpenter.sh": f"karpenter-{_PINS.karpenter}", "karpenter.k8s.aws": f"karpenter-{_PINS.karpenter}",
           "keda.sh": f"keda-{_PINS.keda_chart}"}


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] in FOLDERS


def crd_folder(obj: dict[str, Any]) -> Path:
    return CRDS / FOLDERS[obj["apiVersion"].split("/")[0]]


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


def validate(obj: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError (or KeyError for an unknown kind) if obj breaks its CRD."""
    schema = _schemas(crd_folder(obj))[(obj["apiVersion"], obj["kind"])]
    jsonschema.validate(obj, schema)
