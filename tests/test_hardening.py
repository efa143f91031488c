"""Hardening across the whole app: encrypted logs, flow logs, IMDSv2 on every node, scoped IAM."""

from __future__ import annotations

import pytest
from aws_cdk import assertions
from aws_cdk.assertions import Match

from tests.synth import CONFIGS, manifest_objects

READ_ONLY = ("Describe", "Get", "List")


def test_flow_logs_to_an_encrypted_log_group(default, synth):
    template = default.template
    template.has_resource_properties("AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL",
                                                           "LogDestinationType": "cloud-watch-logs"})
    template.has_resource_properties("AWS::Logs::LogGroup", {
        "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^LogsKey"), "Arn"]}, "RetentionInDays": 90})
    synth("k8s-1.34-env-private").template.resource_count_is("AWS::EC2::FlowLog", 0)


def test_control_plane_logs_go_to_a_group_created_first(default, synth):
    template = default.template
    groups = template.find_resources("AWS::Logs::LogGroup", {"Properties": {
        "LogGroupName": "/aws/eks/eks-scaling/cluster"}})
    (group_id, group), = groups.items()
    assert group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("LogsKey")
    (cluster,) = template.find_resources("AWS::EKS::Cluster").values()
    assert group_id in cluster["DependsOn"]
    synth("k8s-1.34-env-private").template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": "/aws/eks/eks-scaling/cluster", "RetentionInDays": 30})


def test_logs_key_serves_only_this_accounts_log_groups(default):
    (key,) = default.template.find_resources("AWS::KMS::Key", {"Properties": {
        "Description": "Encrypts the cluster's CloudWatch log groups"}}).values()
    assert key["Properties"]["EnableKeyRotation"] is True
    logs_statement = next(statement for statement in key["Properties"]["KeyPolicy"]["Statement"]
                          if "Service" in statement["Principal"])
    assert "kms:EncryptionContext:aws:logs:arn" in logs_statement["Condition"]["ArnLike"]


def _log_groups_and_functions(templates) -> tuple[list[dict], list[tuple[str, dict, dict]]]:
    groups, functions = [], []
    for template in templates:
        resources = template.get("Resources", {})
        groups += [resource for resource in resources.values() if resource["Type"] == "AWS::Logs::LogGroup"]
        functions += [(key, resource, resources) for key, resource in resources.items()
                      if resource["Type"] == "AWS::Lambda::Function"]
    return groups, functions


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_log_group_is_encrypted_with_the_retention_and_every_function_logs_to_one(synth, name):
    """Issue 19, item 14: the CDK-managed groups of the provider Lambdas included (no key, 731 days, kept
    after teardown at aws-cdk-lib's defaults), and the handlers that would log to a group Lambda creates."""
    result = synth(name)
    groups, functions = _log_groups_and_functions(result.template_files().values())
    assert len(groups) >= len(functions) > 0
    for group in groups:
        assert group["Properties"].get("KmsKeyId"), group
        assert group["Properties"]["RetentionInDays"] == result.stack.config.log_retention_days
    for key, function, resources in functions:
        managed = [group for group in resources.values() if group["Type"] == "AWS::Logs::LogGroup"
                   and group["Properties"].get("LogGroupName") == {"Fn::Join": ["", ["/aws/lambda/", {"Ref": key}]]}]
        assert managed or function["Properties"].get("LoggingConfig", {}).get("LogGroup"), f"{key} logs to no group of ours"


def test_the_pipeline_logs_to_encrypted_groups(pipeline_stack):
    template = assertions.Template.from_stack(pipeline_stack).to_json()
    groups = {key: resource for key, resource in template["Resources"].items() if resource["Type"] == "AWS::Logs::LogGroup"}
    assert groups and all(group["Properties"].get("KmsKeyId") for group in groups.values())
    projects = [resource["Properties"] for resource in template["Resources"].values()
                if resource["Type"] == "AWS::CodeBuild::Project"]
    assert len(projects) >= 5  # synth, self-mutation, assets, two Verify steps
    for project in projects:
        logs = project["LogsConfig"]["CloudWatchLogs"]
        assert logs["Status"] == "ENABLED" and logs["GroupName"]["Ref"] in groups


def test_the_control_plane_log_and_its_key_are_kept_when_asked(default, synth):
    for result, policy in ((default, "Delete"), (synth("k8s-1.34-env-private"), "Retain")):
        template = result.template.to_json()["Resources"]
        (group,) = [resource for resource in template.values() if resource["Type"] == "AWS::Logs::LogGroup"
                    and resource["Properties"].get("LogGroupName") == "/aws/eks/eks-scaling/cluster"]
        (key,) = [resource for resource in template.values() if resource["Type"] == "AWS::KMS::Key"
                  and resource["Properties"]["Description"] == "Encrypts the cluster's CloudWatch log groups"]
        assert (group["DeletionPolicy"], key["DeletionPolicy"]) == (policy, policy)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_node_requires_imdsv2(synth, name):
    templates = synth(name).template_files().values()
    launch_templates = [resource for template in templates for resource in template["Resources"].values()
                        if resource["Type"] == "AWS::EC2::LaunchTemplate"]
    assert launch_templates
    for launch_template in launch_templates:
        options = launch_template["Properties"]["LaunchTemplateData"]["MetadataOptions"]
        # One hop: pods (not on the host network) cannot reach IMDS and the node role.
        assert (options["HttpTokens"], options["HttpPutResponseHopLimit"]) == ("required", 1)
    node_classes = [obj for template in templates for resource in template["Resources"].values()
                    if resource["Type"] == "Custom::AWSCDK-EKS-KubernetesResource"
                    for obj in manifest_objects(resource) if obj["kind"] == "EC2NodeClass"]
    assert len(node_classes) == (1 if synth(name).stack.config.enable_karpenter else 0)
    for node_class in node_classes:
        options = node_class["spec"]["metadataOptions"]
        assert (options["httpTokens"], options["httpPutResponseHopLimit"]) == ("required", 1)


def _statements(template: dict):
    for key, resource in template.get("Resources", {}).items():
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(resource["Properties"]["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in resource["Properties"].get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                yield key, statement


def _mutating_on_everything(templates) -> list[str]:
    found = []
    for template in templates:
        for key, statement in _statements(template):
            resources = statement.get("Resource", [])
            resources = resources if isinstance(resources, list) else [resources]
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            mutating = [action for action in actions
                        if action != "*" and not action.split(":")[1].startswith(READ_ONLY) or action == "*"]
            if statement["Effect"] == "Allow" and "*" in resources and "Condition" not in statement and mutating:
                found.append(f"{key}: {mutating}")
    return found


@pytest.mark.parametrize("name", list(CONFIGS))
def test_no_unconditioned_mutating_action_on_everything(synth, name):
    assert _mutating_on_everything(synth(name).template_files().values()) == []


# One statement CDK Pipelines itself writes, and nothing of ours: the pipeline role's use of the
# cross-region replication keys (their ARNs are unknown to the pipeline stack). The asset publishing
# role's control of builds, on "*" at aws-cdk-lib's default, is narrowed to the asset project.
CDK_PIPELINES_WILDCARDS = [
    "PipelineRoleDefaultPolicy7BDC1ABB: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']",
]


def test_pipeline_adds_no_unconditioned_mutating_action_on_everything(pipeline_stack):
    found = _mutating_on_everything([assertions.Template.from_stack(pipeline_stack).to_json()])
    assert found == CDK_PIPELINES_WILDCARDS


def test_the_iam_check_catches_one():
    template = {"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:TerminateInstances"], "Resource": "*"}]}}}}}
    assert _mutating_on_everything([template]) == ["P: ['ec2:TerminateInstances']"]
