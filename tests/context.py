"""The context every test configuration starts from: the app's built-in defaults, never the user's settings.

cdk.json is the user's file (their cluster name, their pipeline, their instance types). Tests take only
its feature flags, which shape every template, so the suite passes whatever valid settings it holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eks_scaling.cdk_json import CDK_JSON, cdk_json_context, is_framework_key
from eks_scaling.setting_table import DEFAULTS


def base_context(cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """cdk.json's feature flags and the built-in default of every setting."""
    flags = {key: value for key, value in cdk_json_context(cdk_json).items() if is_framework_key(key)}
    return {**flags, **DEFAULTS}


def with_defaults(overrides: dict[str, Any], cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """A test configuration's full context: the defaults with its own overrides."""
    return {**base_context(cdk_json), **overrides}


# A deployment's own cdk.json settings, each different from its default: the suite must not notice them.
USER_SETTINGS: dict[str, Any] = {
    "clusterName": "acme-prod",
    "kubernetesVersion": "1.34",
    "adminPrincipalArns": ["arn:aws:iam::111122223333:role/Admin"],
    "systemNodeInstanceTypes": ["c6i.xlarge", "m6i.xlarge"],
    "systemNodeMaxSize": 8,
    "nodeAutoscaler": "both",
    "karpenterInstanceTypes": ["c6i.large", "m6i.large"],
    "caNodeInstanceTypes": ["m6i.large"],
    "enableKeda": False,
    "prometheusVolumeSize": "20Gi",
}


def documented_pipeline(page: Path = CDK_JSON.parent / "docs" / "delivery.md") -> dict[str, Any]:
    """The documented example `pipeline` block (docs/delivery.md), with a connection id filled in."""
    block = re.search(r'```json\n("pipeline": \{.*?\n\})\n```', page.read_text(), re.S).group(1)
    return json.loads("{" + block.replace("<id>", "0b7c5a9e-8f3d-4b1a-9c2e-5d6f7a8b9c0d") + "}")["pipeline"]


def write_cdk_json(folder: Path, settings: dict[str, Any]) -> Path:
    """A copy of the repository's cdk.json with these settings, for code that reads a cdk.json file."""
    cdk_json = json.loads(CDK_JSON.read_text())
    cdk_json["context"].update(settings)
    path = folder / "cdk.json"
    path.write_text(json.dumps(cdk_json, indent=2))
    return path


def write_user_cdk_json(folder: Path) -> Path:
    """cdk.json as a user commits it: their settings and the documented pipeline."""
    return write_cdk_json(folder, {**USER_SETTINGS, "pipeline": documented_pipeline()})
