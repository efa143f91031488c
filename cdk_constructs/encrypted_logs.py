"""CloudWatch log groups encrypted with a customer-managed KMS key, with a set retention."""

from __future__ import annotations

import hashlib

import jsii
from aws_cdk import CfnResource, Duration, IAspect, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct


class EncryptedLogs(Construct):
    """`retain_key`: keep the key when the stack is deleted, so that retained log groups stay readable."""

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int, retain_key: bool = False,
                 description: str = "Encrypts the cluster's CloudWatch log groups") -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.retention_days = retention_days
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, description=description,
            removal_policy=RemovalPolicy.RETAIN if retain_key else RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch Logs uses the key only for this account's log groups in this region.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                    f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"}},
        ))

    def log_group(self, construct_id: str, *, name: str | None = None, retain: bool = False) -> logs.LogGroup:
        group = logs.LogGroup(
            self, construct_id, log_group_name=name, encryption_key=self.key,
            retention=logs.RetentionDays.INFINITE,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        # RetentionDays has no constructor from a number in Python: set the days on the resource.
        group.node.default_child.retention_in_days = self.retention_days
        return group


@jsii.implements(IAspect)
class EncryptEveryLogGroup:
    """Every log group under the scope (nested stacks included) on the key, with the retention.

    aws-cdk-lib creates a log group per Lambda function (feature flag @aws-cdk/aws-lambda:useCdkManagedLogGroup:
    /aws/lambda/<function>, 731 days, no key, retained); custom-resource provider handlers built as plain
    CfnResources get none, and Lambda would create an unencrypted one that never expires on first run:
    those get one of ours through the function's LoggingConfig.
    """

    def __init__(self, logs_: EncryptedLogs) -> None:
        self._logs = logs_

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, logs.CfnLogGroup) and node.kms_key_id is None:
            node.kms_key_id = self._logs.key.key_arn
            node.retention_in_days = self._logs.retention_days
            node.apply_removal_policy(RemovalPolicy.DESTROY)  # the key is deleted with the stack
        elif (isinstance(node, CfnResource) and node.cfn_resource_type == "AWS::Lambda::Function"
              and node.node.scope.node.try_find_child("LogGroup") is None):
            construct_id = f"Function{hashlib.sha256(node.node.path.encode()).hexdigest()[:8]}"
            if self._logs.node.try_find_child(construct_id) is None:  # aspects may visit a node again
                group = self._logs.log_group(construct_id)
                node.add_property_override("LoggingConfig.LogGroup", group.log_group_name)
