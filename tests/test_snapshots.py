"""Snapshots of every template of the default app (nested included), asset hashes masked.

`make snapshots` rewrites them (UPDATE_SNAPSHOTS=1); review the diff before committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalized(template: dict) -> str:
    """The template without what changes on every CDK release or asset rebuild."""
    template = json.loads(json.dumps(template))
    template.get("Resources", {}).pop("CDKMetadata", None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    return _ASSET_HASH.sub("<asset-hash>", json.dumps(template, indent=1, sort_keys=True)) + "\n"


def test_snapshots_match(default):
    templates = default.template_files()
    assert len(templates) == 2, "the parent stack and the metrics nested stack"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        for stale in SNAPSHOTS.glob("*.json"):
            stale.unlink()
        SNAPSHOTS.mkdir(exist_ok=True)
        for name, template in templates.items():
            (SNAPSHOTS / name).write_text(normalized(template))
    stored = {path.name for path in SNAPSHOTS.glob("*.json")}
    assert stored == set(templates), "templates added or removed: run `make snapshots` and review the diff"
    for name, template in templates.items():
        assert normalized(template) == (SNAPSHOTS / name).read_text(), \
            f"{name} changed: run `make snapshots` and review the diff"
