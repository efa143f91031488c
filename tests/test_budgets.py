"""ARCHITECTURE.md's template budgets: half of CloudFormation's limits, and short Helm/kubectl chains."""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.synth import CONFIGS

KUBERNETES_TYPES = ("Custom::AWSCDK-EKS-HelmChart", "Custom::AWSCDK-EKS-KubernetesResource")
MAX_CHAIN = 4  # service account -> CRD chart -> controller chart -> custom resources


def longest_kubernetes_chain(template: dict) -> int:
    """Length, in resources, of the longest DependsOn chain among Helm/kubectl resources."""
    resources = {key: value for key, value in template.get("Resources", {}).items()
                 if value["Type"] in KUBERNETES_TYPES or value["Type"] == "Custom::AWSCDK-EKS-ServiceAccount"}

    @cache
    def depth(key: str) -> int:
        after = [dep for dep in resources[key].get("DependsOn", []) if dep in resources]
        return 1 + max((depth(dep) for dep in after), default=0)

    return max((depth(key) for key in resources), default=0)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_templates_stay_under_half_of_cloudformation_limits(synth, name):
    for file_name, template in synth(name).template_files().items():
        assert len(template["Resources"]) <= 250, file_name
        assert len(json.dumps(template)) <= 512 * 1024, file_name


@pytest.mark.parametrize("name", list(CONFIGS))
def test_kubernetes_resource_chains_stay_short(synth, name):
    chains = {file: longest_kubernetes_chain(template) for file, template in synth(name).template_files().items()}
    assert all(length <= MAX_CHAIN for length in chains.values()), chains


def test_karpenter_chain_is_the_longest_allowed(default):
    chains = {file: longest_kubernetes_chain(template) for file, template in default.template_files().items()}
    karpenter = next(length for file, length in chains.items() if "Karpenter" in file)
    assert karpenter == MAX_CHAIN  # service account -> CRD chart -> controller chart -> NodePool


def test_chain_length_counts_dependencies():
    template = {"Resources": {
        "A": {"Type": KUBERNETES_TYPES[0]},
        "B": {"Type": KUBERNETES_TYPES[1], "DependsOn": ["A"]},
        "C": {"Type": KUBERNETES_TYPES[1], "DependsOn": ["B", "Other"]},
        "Other": {"Type": "AWS::IAM::Role"},
    }}
    assert longest_kubernetes_chain(template) == 3
