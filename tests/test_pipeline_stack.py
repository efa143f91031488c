"""The delivery pipeline: source, synth commands, self-mutation, stages, approval, verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import assertions
from aws_cdk.assertions import Match

from eks_scaling.manifests import load_manifest
from eks_scaling.versions import CDK_ASSETS_VERSION
from stacks.eks_scaling_stack import VERIFIER_GROUP
from tests.synth import PIPELINE, manifest_objects_by_name, resolve, synthesize_pipeline

# One unverified stage on a private endpoint (the Verify step could not reach it), everything optional
# off to keep the synth short, and a connection ARN in the older codestar-connections form.
UNVERIFIED = {**PIPELINE,
              "connectionArn": PIPELINE["connectionArn"].replace(":codeconnections:", ":codestar-connections:"),
              "stages": [{"name": "private", "account": "222222222222", "region": "eu-west-1", "verify": False,
                          "settings": {"clusterName": "eks-private", "endpointAccess": "private",
                                       "availabilityZones": ["eu-west-1a", "eu-west-1b"],
                                       "nodeAutoscaler": "none", "enableMetricsServer": False,
                                       "enablePrometheus": False, "enableKeda": False}}]}


@pytest.fixture(scope="module")
def template(pipeline_stack):
    return assertions.Template.from_stack(pipeline_stack)


@pytest.fixture(scope="module")
def unverified_stack(tmp_path_factory):
    return synthesize_pipeline(UNVERIFIED, tmp_path_factory.mktemp("unverified"))


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
    """After a set-up it verifies and the dependency audits (issue 19, item 15)."""
    commands = [spec["phases"]["build"]["commands"] for spec in _buildspecs(template).values()
                if "make synth" in spec["phases"]["build"]["commands"]]
    assert commands == [["make setup", ".venv/bin/python -m scripts.check_node", "npm audit --audit-level=high",
                         ".venv/bin/python -m scripts.audit_python", "make test", "make synth"]]


def test_pipeline_mutates_itself_with_the_pinned_cli(template):
    assert _stages(template)["UpdatePipeline"][0]["Name"] == "SelfMutate"
    cli = json.loads((Path(__file__).parent.parent / "package.json").read_text())["devDependencies"]["aws-cdk"]
    installs = [command for spec in _buildspecs(template).values()
                for command in spec["phases"].get("install", {}).get("commands", []) if "aws-cdk" in command]
    assert installs and all(command == f"npm install -g aws-cdk@{cli}" for command in installs)


def test_assets_are_published_with_the_pinned_cdk_assets(pipeline_stack):
    outdir = Path(pipeline_stack.node.root.outdir)
    specs = [json.loads(path.read_text()) for path in outdir.glob("buildspec-*.yaml")]
    installs = [command for spec in specs for command in spec["phases"]["install"]["commands"]]
    assert installs == [f"npm install -g cdk-assets@{CDK_ASSETS_VERSION}"]


@pytest.mark.parametrize("which", ["codeconnections", "codestar-connections"])
def test_source_action_may_use_its_connection_in_the_arn_service_prefix(which, pipeline_stack, unverified_stack):
    stack = pipeline_stack if which == "codeconnections" else unverified_stack
    template = assertions.Template.from_stack(stack)
    (source,) = _stages(template)["Source"]
    arn = source["Configuration"]["ConnectionArn"]
    assert arn.split(":")[2] == which
    role = source["RoleArn"]["Fn::GetAtt"][0]
    statements = [statement for policy in template.find_resources("AWS::IAM::Policy").values()
                  if {"Ref": role} in policy["Properties"]["Roles"]
                  for statement in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert [statement for statement in statements if statement["Resource"] == arn and statement["Effect"] == "Allow"
            and f'"{which}:UseConnection"' in json.dumps(statement["Action"])]


def test_an_unverified_stage_gets_no_verify_step_and_no_verifier(unverified_stack):
    template = assertions.Template.from_stack(unverified_stack)
    assert not [action for action in _stages(template)["private"] if action["Name"].startswith("Verify")]
    assert not template.find_resources("AWS::IAM::Role", {"Properties": {
        "RoleName": Match.string_like_regexp("^eks-scaling-verify")}})
    (stage,) = unverified_stack.stages
    stage_template = assertions.Template.from_stack(stage.stack)
    assert not stage_template.find_resources("AWS::IAM::Role", {"Properties": {
        "RoleName": Match.string_like_regexp("^eks-scaling-verify")}})
    assert "ClusterRole/eks-scaling-verifier" not in manifest_objects_by_name(stage_template)


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


def test_verify_steps_leave_from_the_configured_elastic_ip(template, unverified_stack):
    """Issue 19, item 9: each stage's endpoint allows one fixed address, not 0.0.0.0/0."""
    (nat,) = template.find_resources("AWS::EC2::NatGateway").values()
    assert nat["Properties"]["AllocationId"] == PIPELINE["verifyEgress"]["allocationId"]
    (nat_id,) = template.find_resources("AWS::EC2::NatGateway")
    (private_route,) = [route["Properties"] for route in template.find_resources("AWS::EC2::Route").values()
                        if route["Properties"].get("NatGatewayId") == {"Ref": nat_id}]
    assert private_route["DestinationCidrBlock"] == "0.0.0.0/0"
    (association,) = [association["Properties"] for association in
                      template.find_resources("AWS::EC2::SubnetRouteTableAssociation").values()
                      if association["Properties"]["RouteTableId"] == private_route["RouteTableId"]]
    projects = template.find_resources("AWS::CodeBuild::Project")
    verify_projects = [projects[key]["Properties"] for key, spec in _buildspecs(template).items()
                       if "verify_cluster" in json.dumps(spec)]
    assert len(verify_projects) == 2
    assert all(project["VpcConfig"]["Subnets"] == [association["SubnetId"]] for project in verify_projects)
    # The other projects (synth, self-mutation, assets) need no fixed address; without verifyEgress, no network.
    assert len([project for project in template.find_resources("AWS::CodeBuild::Project").values()
                if "VpcConfig" in project["Properties"]]) == 2
    assert not assertions.Template.from_stack(unverified_stack).find_resources("AWS::EC2::NatGateway")
    # aws-cdk-lib's ENI permissions for CodeBuild in a VPC, narrowed to that VPC.
    vpc_policies = [policy["Properties"]["PolicyDocument"]["Statement"] for key, policy in
                    template.find_resources("AWS::IAM::Policy").items() if "PolicyDocument" in key]
    assert len(vpc_policies) == 2
    for describes, mutations in vpc_policies:
        assert all(action.startswith("ec2:Describe") for action in describes["Action"])
        assert mutations["Action"] == ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
        vpc_arn = resolve(mutations["Condition"]["ArnEquals"]["ec2:Vpc"])
        assert ":vpc/" in vpc_arn and "VerifyNetworkVpc" in vpc_arn


def test_verify_steps_may_assume_only_the_stage_verifier_roles(template):
    statements = [statement for policy in template.find_resources("AWS::IAM::Policy").values()
                  for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                  if statement["Action"] == "sts:AssumeRole"
                  and "eks-scaling-verify" in json.dumps(statement["Resource"])]
    accounts = sorted(next(part for part in statement["Resource"]["Fn::Join"][1] if isinstance(part, str)
                           and ":iam::" in part) for statement in statements)
    assert [account.split(":")[3] for account in accounts] == ["222222222222", "333333333333"]


def _verify_step_role(template, stage: str) -> dict:
    """The properties of the role the stage's Verify action's CodeBuild project runs as."""
    action = next(action for action in _stages(template)[stage] if action["Name"] == f"Verify-{stage}")
    project = template.find_resources("AWS::CodeBuild::Project")[action["Configuration"]["ProjectName"]["Ref"]]
    return template.find_resources("AWS::IAM::Role")[project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]][
        "Properties"]


def _verifier(stage) -> tuple[assertions.Template, str, dict]:
    """A stage stack's template, and its verifier role's logical id and properties."""
    template = assertions.Template.from_stack(stage.stack)
    ((key, role),) = template.find_resources("AWS::IAM::Role", {"Properties": {
        "RoleName": Match.string_like_regexp("^eks-scaling-verify-")}}).items()
    return template, key, role["Properties"]


def test_stage_verifier_role_trusts_only_its_verify_step(pipeline_stack, template):
    for stage in pipeline_stack.stages:
        step_role = _verify_step_role(template, stage.node.id)
        (trust,) = _verifier(stage)[2]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::{PIPELINE['account']}:root"}
        (trusted,) = trust["Condition"]["ArnEquals"].items()
        assert trusted == ("aws:PrincipalArn", f"arn:aws:iam::{PIPELINE['account']}:role/{step_role['RoleName']}")


def test_stage_verifier_reads_the_cluster_through_its_rbac_group_only(pipeline_stack):
    for stage in pipeline_stack.stages:
        template, role_key, _ = _verifier(stage)
        (entry,) = [entry["Properties"] for entry in template.find_resources("AWS::EKS::AccessEntry").values()
                    if entry["Properties"]["PrincipalArn"] == {"Fn::GetAtt": [role_key, "Arn"]}]
        assert not entry.get("AccessPolicies") and entry["KubernetesGroups"] == [VERIFIER_GROUP]
        objects = {name: obj for name, (_, obj) in manifest_objects_by_name(template).items()}
        role, binding = load_manifest("verifier-rbac", group=VERIFIER_GROUP)
        assert objects["ClusterRole/eks-scaling-verifier"]["rules"] == role["rules"]
        applied = objects["ClusterRoleBinding/eks-scaling-verifier"]
        assert (applied["roleRef"], applied["subjects"]) == (binding["roleRef"], binding["subjects"])
        assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": VERIFIER_GROUP}]


def test_stages_use_their_own_settings(pipeline_stack):
    staging, prod = (stage.stack for stage in pipeline_stack.stages)
    assert (staging.account, staging.region, staging.config.cluster.name) == ("222222222222", "eu-west-1", "eks-staging")
    assert (prod.account, prod.region, prod.config.cluster.name) == ("333333333333", "us-east-1", "eks-prod")
    assert staging.cluster_autoscaler is not None and prod.cluster_autoscaler is None


def test_a_verified_stage_is_not_warned_about_admin_access(pipeline_stack):
    for stage in pipeline_stack.stages:
        assert not stage.stack.config.cluster.admin_principal_arns
        assert not assertions.Annotations.from_stack(stage.stack).find_warning(
            "*", Match.string_like_regexp("^adminPrincipalArns is empty"))
