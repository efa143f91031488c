"""Snapshots (syrupy) of every template, nested included, of fixed test configurations and of the pipeline.

One JSON file per template in tests/__snapshots__/test_snapshots/, asset hashes masked and CDK's
version metadata left out. A failure prints the diff; `make snapshots` (pytest --snapshot-update)
rewrites them and deletes the ones no test produces any more. Review the diff before committing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import assertions
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.filters import props

SNAPSHOT_CONFIGS = {
    "default": ["EksScalingStack", "Karpenter", "Keda", "Metrics", "Prometheus", "Workloads"],
    "auto-mode": ["EksScalingStack", "Keda", "Metrics", "Prometheus", "Workloads"],
    "auto-mode-node-pool": ["EksScalingStack", "AutoModeNodePool", "Workloads"],
    "existing-cluster": ["EksScalingStack", "ClusterAutoscaler", "Karpenter", "Keda", "Metrics", "Prometheus",
                         "Workloads"],
    "fargate": ["EksScalingStack", "Karpenter", "Keda", "Metrics", "Prometheus", "Workloads"],
    "k8s-1.36-both-arm-public": ["EksScalingStack", "ClusterAutoscaler", "Karpenter", "Keda", "Metrics", "Prometheus",
                                 "Workloads"],
}
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
# CDK's analytics resource carries the CDK version: it changes on every release, not with the app.
_CDK_METADATA = props("CDKMetadata", "CDKMetadataAvailable")


def _mask_asset_hashes(data: Any, path: Any) -> Any:
    return _ASSET_HASH.sub("<asset-hash>", data) if isinstance(data, str) else data


@pytest.fixture
def template_snapshot(snapshot):
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension, exclude=_CDK_METADATA,
                                  matcher=_mask_asset_hashes)


def stack_label(file: str) -> str:
    """EksScalingStackKarpenter2D681C3F.nested.template.json -> Karpenter; the parent keeps its name."""
    return re.sub(r"[0-9A-F]{8}$", "", file.split(".")[0].removeprefix("EksScalingStack")) or "EksScalingStack"


@pytest.mark.parametrize("name", list(SNAPSHOT_CONFIGS))
def test_snapshots_match(synth, template_snapshot, name):
    templates = {stack_label(file): template for file, template in synth(name).template_files().items()}
    assert sorted(templates) == sorted(SNAPSHOT_CONFIGS[name])
    for stack, template in templates.items():
        assert template == template_snapshot(name=stack)


def test_pipeline_snapshot_matches(pipeline_stack, template_snapshot):
    template = assertions.Template.from_stack(pipeline_stack).to_json()
    assert template == template_snapshot(name="EksScalingPipeline")
