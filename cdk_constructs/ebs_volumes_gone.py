"""A teardown step between the storage and the EBS CSI driver: its Delete waits until the driver has
deleted every volume it created for this cluster (bounded), and fails with their ids otherwise.

PVCs are deleted first; the driver then detaches and deletes their volumes asynchronously, so deleting
the add-on right after the claims would leave volumes behind. The driver tags every volume it creates
with its controller's extra volume tags (kubernetes-sigs/aws-ebs-csi-driver pkg/driver/controller.go,
CreateVolume; `--extra-tags` from the chart/add-on value controller.extraVolumeTags), so one cluster's
volumes are those carrying VOLUME_TAG_KEY=<cluster name>. Volumes the driver created before that tag
was configured are not seen.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

# Not kubernetes.io/... nor ebs.csi.aws.com/...: the driver reserves those prefixes (pkg/driver/validation.go).
VOLUME_TAG_KEY = "eks-scaling/cluster"
WAIT = Duration.minutes(10)
_HANDLER = Path(__file__).resolve().parent / "handlers" / "ebs_volumes_gone.py"
_MARGIN_SECONDS = 60  # left to answer CloudFormation after the wait


class EbsVolumesGone(Construct):
    """Create it after the add-on and before the storage: CloudFormation deletes it in between."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str) -> None:
        super().__init__(scope, construct_id)
        function = lambda_.Function(
            self, "Handler",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_inline(_HANDLER.read_text()),
            timeout=WAIT.plus(Duration.seconds(_MARGIN_SECONDS)),
            description="Waits on stack delete until the EBS CSI driver has deleted this cluster's volumes",
        )
        # DescribeVolumes supports no resource-level permissions (Service Authorization Reference, Amazon EC2).
        function.add_to_role_policy(iam.PolicyStatement(actions=["ec2:DescribeVolumes"], resources=["*"]))
        # ServiceTimeout: should the function never answer (killed at its timeout), CloudFormation fails
        # the step a minute after that instead of waiting its default hour.
        self.resource = CustomResource(
            self, "Resource", service_token=function.function_arn, resource_type="Custom::EbsVolumesGone",
            service_timeout=function.timeout.plus(Duration.seconds(_MARGIN_SECONDS)),
            properties={"TagKey": VOLUME_TAG_KEY, "TagValue": cluster_name, "MarginSeconds": _MARGIN_SECONDS},
        )
