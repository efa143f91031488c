"""The delivery pipeline: source, synth commands, self-mutation, stages, approval, verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import assertions
from aws_cdk.assertions import Match

from tests.synth import PIPELINE, resolve


@pytest.fixture(scope="module")
def template(pipeline_stack):
    return assertions.Template.from_stack(pipeline_stack)


def _stages(template) -> dict[str, list[dict]]:
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return {stage["Name"]: stage["Actions"] for stage in pipeline["Properties"]["Stages"]}


def _buildspecs(template) -> dict[str, dict]:
    """Inline buildspecs (references flattened to text), by project."""
    projects = template.find_resources("AWS::CodeBuild::Project")
    specs = {key: resolve(project["Properties"]["Source"].get("BuildSpec", "")) for key, project in projects.items()}
    return {key: json.loads(spec) for key, spec in specs.items() if spec.lstrip().startswith("{")}


def test_pipeline_type_v2(template):
    template.has_resource_properties("AWS::CodePipeline::Pipeline", {"PipelineType": "V2"})


def test_source_is_the_configured_connection(template):
    (source,) = _stages(template)["Source"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == PIPELINE["connectionArn"]
    assert source["Configuration"]["FullRepositoryId"] == "acme/eks-scaling"
    assert source["Configuration"]["BranchName"] == "main"


def test_synth_runs_the_tests_then_synth_as_the_readme_does(template):
    commands = [spec["phases"]["build"]["commands"] for spec in _buildspecs(template).values()
                if "make synth" in spec["phases"]["build"]["commands"]]
    assert commands == [["make test", "make synth"]]


def test_pipeline_mutates_itself_with_the_pinned_cli(template):
    assert _stages(template)["UpdatePipeline"][0]["Name"] == "SelfMutate"
    cli = json.loads((Path(__file__).parent.parent / "package.json").read_text())["devDependencies"]["aws-cdk"]
    installs = [command for spec in _buildspecs(template).values()
                for command in spec["phases"].get("install", {}).get("commands", []) if "aws-cdk" in command]
    assert installs and all(command == f"npm install -g aws-cdk@{cli}" for command in installs)


def test_one_stage_per_setting_with_approval_where_asked(template):
    stages = _stages(template)
    assert [name for name in stages if name in ("staging", "prod")] == ["staging", "prod"]
    assert not [action for action in stages["staging"] if action["ActionTypeId"]["Category"] == "Approval"]
    approvals = [action for action in stages["prod"] if action["ActionTypeId"]["Category"] == "Approval"]
    assert [action["Name"] for action in approvals] == ["Approve-prod"]
    first_deploy = min(action["RunOrder"] for action in stages["prod"] if action["ActionTypeId"]["Category"] == "Deploy")
    assert approvals[0]["RunOrder"] < first_deploy


def test_each_stage_is_verified_after_it_deploys(template):
    stages = _stages(template)
    for name in ("staging", "prod"):
        verify = next(action for action in stages[name] if action["Name"] == f"Verify-{name}")
        last_deploy = max(action["RunOrder"] for action in stages[name] if action["ActionTypeId"]["Category"] == "Deploy")
        assert verify["RunOrder"] > last_deploy
    specs = [spec for spec in _buildspecs(template).values()
             if any("scripts.verify_cluster" in command for command in spec["phases"]["build"]["commands"])]
    assert len(specs) == 2
    command = next(c for c in specs[0]["phases"]["build"]["commands"] if "verify_cluster" in c)
    assert command.startswith("AWS_PROFILE=verifier python3 -m scripts.verify_cluster")
    assert '--settings "$STAGE_SETTINGS"' in command


def test_verify_steps_may_assume_only_the_stage_verifier_roles(template):
    statements = [statement for policy in template.find_resources("AWS::IAM::Policy").values()
                  for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                  if statement["Action"] == "sts:AssumeRole"
                  and "eks-scaling-verify" in json.dumps(statement["Resource"])]
    accounts = sorted(next(part for part in statement["Resource"]["Fn::Join"][1] if isinstance(part, str)
                           and ":iam::" in part) for statement in statements)
    assert [account.split(":")[3] for account in accounts] == ["222222222222", "333333333333"]


def test_stage_grants_its_verifier_read_access(pipeline_stack):
    staging = assertions.Template.from_stack(pipeline_stack.stages[0].stack)
    staging.has_resource_properties("AWS::IAM::Role", {
        "RoleName": Match.string_like_regexp("^eks-scaling-verify-eks-staging-"),
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"}})]},
    })
    staging.has_resource_properties("AWS::EKS::AccessEntry", {
        "PrincipalArn": {"Fn::GetAtt": [Match.string_like_regexp("^VerifierRole"), "Arn"]},
        "AccessPolicies": [{"AccessScope": {"Type": "cluster"}, "PolicyArn": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"]]}}],
    })


def test_stages_use_their_own_settings(pipeline_stack):
    staging, prod = (stage.stack for stage in pipeline_stack.stages)
    assert (staging.account, staging.region, staging.config.cluster.name) == ("222222222222", "eu-west-1", "eks-staging")
    assert (prod.account, prod.region, prod.config.cluster.name) == ("333333333333", "us-east-1", "eks-prod")
    assert staging.cluster_autoscaler is not None and prod.cluster_autoscaler is None
