"""Snapshots of every template (nested included) of the default app and of the nodeAutoscaler=both app.

Asset hashes are masked. `make snapshots` rewrites them (UPDATE_SNAPSHOTS=1); review the diff before
committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from aws_cdk import assertions

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
SNAPSHOT_CONFIGS = {
    "default": ["EksScalingStack", "Karpenter", "Keda", "Metrics", "Prometheus", "Workloads"],
    "k8s-1.36-both-arm-public": ["EksScalingStack", "ClusterAutoscaler", "Karpenter", "Keda", "Metrics", "Prometheus",
                                 "Workloads"],
}


def normalized(template: dict) -> str:
    """The template without what changes on every CDK release or asset rebuild."""
    template = json.loads(json.dumps(template))
    template.get("Resources", {}).pop("CDKMetadata", None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    return _ASSET_HASH.sub("<asset-hash>", json.dumps(template, indent=1, sort_keys=True)) + "\n"


@pytest.mark.parametrize("name", list(SNAPSHOT_CONFIGS))
def test_snapshots_match(synth, name):
    templates = synth(name).template_files()
    stacks = {re.sub(r"[0-9A-F]{8}$", "", file.split(".")[0].removeprefix("EksScalingStack")) or "EksScalingStack"
              for file in templates}
    assert stacks == set(SNAPSHOT_CONFIGS[name])
    folder = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()
        for file, template in templates.items():
            (folder / file).write_text(normalized(template))
    stored = {path.name for path in folder.glob("*.json")}
    assert stored == set(templates), "templates added or removed: run `make snapshots` and review the diff"
    for file, template in templates.items():
        assert normalized(template) == (folder / file).read_text(), \
            f"{name}/{file} changed: run `make snapshots` and review the diff"


def test_pipeline_snapshot_matches(pipeline_stack):
    template = assertions.Template.from_stack(pipeline_stack).to_json()
    path = SNAPSHOTS / "pipeline" / "EksScalingPipeline.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalized(template))
    assert normalized(template) == path.read_text(), "the pipeline changed: run `make snapshots` and review the diff"
