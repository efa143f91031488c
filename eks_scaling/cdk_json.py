"""cdk.json: where the settings' defaults ship, and which of its keys are CDK's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def is_framework_key(key: str) -> bool:
    """CDK's own context: feature flags (@aws-cdk/...), CLI keys (aws:cdk:...), lookups (x:account=...)."""
    return key.startswith("@") or ":" in key



def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context block of cdk.json: the user's settings plus the feature flags."""
    return dict(json.loads(path.read_text())["context"])
