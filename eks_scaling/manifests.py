"""The one way Kubernetes objects are built: YAML files in manifests/, filled in with values.

A scalar that is exactly `${name}` is replaced by the value itself (keeping its type, so numbers
stay numbers and CDK tokens pass through); `${name}` inside a longer string is substituted as text.
Every placeholder must get a value and every value must be used, so a typo fails at synth.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

MANIFESTS_DIR = Path(__file__).resolve().parent.parent / "manifests"

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ManifestError(ValueError):
    pass


def load_manifest(file: str, /, **values: Any) -> list[dict[str, Any]]:
    """Load manifests/<file>.yaml (one or more documents) with its placeholders filled in."""
    path = MANIFESTS_DIR / f"{file}.yaml"
    documents = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    used: set[str] = set()

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {fill(key): fill(item) for key, item in node.items()}
        if isinstance(node, list):
            return [fill(item) for item in node]
        if not isinstance(node, str):
            return node
        whole = _PLACEHOLDER.fullmatch(node)
        if whole:
            return lookup(whole.group(1))
        return _PLACEHOLDER.sub(lambda match: str(lookup(match.group(1))), node)

    def lookup(key: str) -> Any:
        if key not in values:
            raise ManifestError(f"{path.name}: no value given for ${{{key}}}")
        used.add(key)
        return values[key]

    filled = [fill(doc) for doc in documents]
    unused = sorted(set(values) - used)
    if unused:
        raise ManifestError(f"{path.name}: values given but not used: {', '.join(unused)}")
    return filled
