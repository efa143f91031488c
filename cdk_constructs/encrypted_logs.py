"""CloudWatch log groups encrypted with a customer-managed KMS key, with a set retention."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct


class EncryptedLogs(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.retention_days = retention_days
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, description="Encrypts the cluster's CloudWatch log groups",
            removal_policy=RemovalPolicy.DESTROY, pending_window=Duration.days(7),
        )
        # CloudWatch Logs uses the key only for this account's log groups in this region.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                    f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"}},
        ))

    def log_group(self, construct_id: str, *, name: str | None = None) -> logs.LogGroup:
        group = logs.LogGroup(
            self, construct_id, log_group_name=name, encryption_key=self.key,
            retention=logs.RetentionDays.INFINITE, removal_policy=RemovalPolicy.DESTROY,
        )
        # RetentionDays has no constructor from a number in Python: set the days on the resource.
        group.node.default_child.retention_in_days = self.retention_days
        return group
