"""The template budgets of docs/architecture.md: half of CloudFormation's limits, and short Helm/kubectl chains."""

from __future__ import annotations

import json

import pytest

from tests.deploy_graph import KUBERNETES_TYPES, DeployGraph
from tests.synth import CONFIGS

MAX_CHAIN = 4  # docs/architecture.md: service account / CRD chart -> controller chart -> custom resources -> demo


def show(graph: DeployGraph, chain: list) -> str:
    return " -> ".join(f"{file.split('.')[0]}/{key} ({graph.type_of((file, key)).rsplit('-', 1)[-1]})"
                       for file, key in chain)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_templates_stay_under_half_of_cloudformation_limits(synth, name):
    for file_name, template in synth(name).template_files().items():
        assert len(template["Resources"]) <= 250, file_name
        assert len(json.dumps(template)) <= 512 * 1024, file_name


@pytest.mark.parametrize("name", list(CONFIGS))
def test_kubernetes_resource_chains_stay_short(synth, name):
    graph = DeployGraph.of(synth(name).outdir)
    chain = graph.longest_kubernetes_chain()
    print(f"{name}: longest chain of {len(chain)}: {show(graph, chain)}")
    assert len(chain) <= MAX_CHAIN, show(graph, chain)


def _stack(resources: dict) -> dict:
    return {"Resources": {key: {"Type": KUBERNETES_TYPES[1], **value} for key, value in resources.items()}}


def test_chains_are_measured_across_nested_stacks(tmp_path):
    digest = "0" * 64
    parent = {"Resources": {
        "Chart": {"Type": KUBERNETES_TYPES[0]},
        "Role": {"Type": "AWS::IAM::Role"},
        "Manifest": {"Type": KUBERNETES_TYPES[1], "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
                     "DependsOn": "Chart"},
        "Nested": {"Type": "AWS::CloudFormation::Stack", "DependsOn": ["Manifest"],
                   "Properties": {"TemplateURL": {"Fn::Join": ["", ["https://s3/", f"{digest}.json"]]}}},
        "AfterNested": {"Type": KUBERNETES_TYPES[1], "Properties": {"Value": {"Fn::GetAtt": ["Nested", "Outputs.X"]}}},
    }}
    nested = _stack({"First": {}, "Second": {"Properties": {"Text": {"Fn::Sub": "${First.Name}"}}}, "Alone": {}})
    (tmp_path / "Parent.template.json").write_text(json.dumps(parent))
    (tmp_path / "Nested.nested.template.json").write_text(json.dumps(nested))
    (tmp_path / "Parent.assets.json").write_text(json.dumps(
        {"files": {digest: {"source": {"path": "Nested.nested.template.json"}}}}))
    graph = DeployGraph.of(tmp_path)
    assert [key for _, key in graph.longest_kubernetes_chain()] == ["Chart", "Manifest", "First", "Second", "AfterNested"]
