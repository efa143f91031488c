"""The self-mutating delivery pipeline: source, synth (tests first), then one stage per setting."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Environment, Stack, Stage
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from cdk_constructs.encrypted_logs import EncryptedLogs
from cdk_constructs.fixed_egress_network import FixedEgressNetwork
from eks_scaling.cdk_json import package_pins
from eks_scaling.pipeline_config import PipelineConfig, StageConfig
from eks_scaling.versions import CDK_ASSETS_VERSION
from stacks.eks_scaling_stack import add_eks_scaling_stack, verifier_role_name, verify_step_role_name
from stacks.nag import acknowledge_known_findings

# Set-up from pins it verifies (.venv from the hashed requirements-dev.lock, node_modules from
# package-lock.json, then the Node binary against its pinned integrity), the registries' advisories, then
# the README's own commands.
SYNTH_COMMANDS = ["make setup", ".venv/bin/python -m scripts.check_node", "npm audit --audit-level=high",
                  ".venv/bin/python -m scripts.audit_python", "make test", "make synth"]
# Self-mutation and asset publishing use the CLI that package.json pins, not the newest one.
CDK_CLI_VERSION = package_pins(Path(__file__).resolve().parent.parent)["aws-cdk"]


class EksScalingStage(Stage):
    """One deployment of the EKS scaling stack, with read access for the pipeline's verification."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, verifier_account: str) -> None:
        super().__init__(scope, construct_id, env=Environment(account=stage.account, region=stage.region))
        self.stack = add_eks_scaling_stack(self, stage.app, verifier_account=verifier_account if stage.verify else None)
        acknowledge_known_findings(self)


class PipelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, pipeline: PipelineConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, description="Delivery pipeline of the EKS scaling app", **kwargs)
        self.logs = EncryptedLogs(self, "Logs", retention_days=pipeline.log_retention_days,
                                  description="Encrypts the pipeline's CloudWatch log groups")
        # The Verify steps reach the stages' endpoints from the operator's Elastic IP.
        self.verify_network = FixedEgressNetwork(
            self, "VerifyNetwork", eip_allocation_id=pipeline.verify_egress.allocation_id,
            flow_log_group=self.logs.log_group("VerifyNetworkFlowLogs"),
        ) if pipeline.verify_egress and any(stage.verify for stage in pipeline.stages) else None
        # A connection ARN is all synth needs: no lookup, no credentials.
        source = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connection_arn)
        self.pipeline = pipelines.CodePipeline(
            self, "Pipeline",
            pipeline_type=codepipeline.PipelineType.V2,
            self_mutation=True,
            cli_version=CDK_CLI_VERSION,
            cdk_assets_cli_version=CDK_ASSETS_VERSION,
            # One CodeBuild project publishes all assets, instead of one project per asset.
            publish_assets_in_parallel=False,
            enable_key_rotation=True,
            cross_account_keys=any(stage.account != pipeline.account for stage in pipeline.stages),
            synth=pipelines.ShellStep("Synth", input=source, commands=SYNTH_COMMANDS,
                                      primary_output_directory="cdk.out"),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0),
                # Every project (synth, self-mutation, assets, verify) logs to one encrypted group with a
                # retention, not to CodeBuild's default /aws/codebuild/<project> (no key, never expires).
                logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(
                    log_group=self.logs.log_group("CodeBuildLogs")))),
        )
        self.stages = [EksScalingStage(self, stage.name, stage=stage, verifier_account=pipeline.account)
                       for stage in pipeline.stages]
        for stage, app_stage in zip(pipeline.stages, self.stages):
            self.pipeline.add_stage(
                app_stage,
                pre=[pipelines.ManualApprovalStep(f"Approve-{stage.name}")] if stage.approval else None,
                post=[self._verify_step(source, stage)] if stage.verify else None,
            )
        self.pipeline.build_pipeline()
        self._grant_use_connection(pipeline.connection_arn)
        self._narrow_asset_builds()
        if self.verify_network:
            self._narrow_vpc_policies()

    def _narrow_asset_builds(self) -> None:
        """The asset publishing role starts, watches and stops only the asset projects, not every project of
        the account as aws-cdk-lib grants (pipelines/lib/codepipeline/codepipeline.ts, the assets role)."""
        assets = self.pipeline.node.find_child("Assets")
        projects = [child.attr_arn for child in assets.node.find_all() if isinstance(child, codebuild.CfnProject)]
        (policy,) = [child for child in assets.node.find_all()
                     if isinstance(child, iam.CfnPolicy) and child.node.path.endswith("/FileRole/DefaultPolicy/Resource")]
        statements = self.resolve(policy.policy_document)["Statement"]
        policy.add_property_override("PolicyDocument.Statement", [
            {**statement, "Resource": projects} if statement["Resource"] == "*"
            and all(action.startswith("codebuild:") for action in statement["Action"]) else statement
            for statement in statements])

    def _narrow_vpc_policies(self) -> None:
        """aws-cdk-lib gives a CodeBuild project in a VPC ec2:Create/DeleteNetworkInterface on "*"
        (aws-codebuild/lib/project.ts, the CodeBuild user guide's example). Keep the describes there
        (they support no resource ARN) and limit the two mutations to the verify network's VPC: ec2:Vpc
        applies to network-interface, subnet and security-group resources (Service Authorization
        Reference, Amazon EC2)."""
        vpc_arn = f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:vpc/{self.verify_network.vpc.vpc_id}"
        for policy in self.pipeline.pipeline.node.find_all():
            if isinstance(policy, iam.CfnPolicy) and policy.node.path.endswith("/PolicyDocument/Resource"):
                statement = self.resolve(policy.policy_document)["Statement"][0]
                mutations = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]
                policy.add_property_override("PolicyDocument.Statement", [
                    {**statement, "Action": [action for action in statement["Action"] if action not in mutations]},
                    {"Effect": "Allow", "Action": mutations, "Resource": "*",
                     "Condition": {"ArnEquals": {"ec2:Vpc": vpc_arn}}},
                ])

    def _grant_use_connection(self, connection_arn: str) -> None:
        """UseConnection in the ARN's own service prefix, which IAM requires to match the resource's.

        aws-cdk-lib's CodeStarConnectionsSourceAction grants only codestar-connections:UseConnection
        (aws-cdk-lib 2.275.0, aws-codepipeline-actions/lib/codestar-connections/source-action.ts), which
        does not cover a connection created as arn:aws:codeconnections:... (the console's default since
        2024-07; Developer Tools console guide, "Connections rename").
        """
        prefix = connection_arn.split(":")[2]
        (role,) = [child for child in self.pipeline.pipeline.node.find_child("Source").node.find_all()
                   if isinstance(child, iam.Role)]
        role.add_to_principal_policy(iam.PolicyStatement(actions=[f"{prefix}:UseConnection"],
                                                         resources=[connection_arn]))

    def _verify_step(self, source: pipelines.IFileSetProducer, stage: StageConfig) -> pipelines.CodeBuildStep:
        """Runs scripts/verify_cluster.py against the stage's cluster through its verifier role."""
        cluster = stage.app.cluster.name
        role_arn = f"arn:{Aws.PARTITION}:iam::{stage.account}:role/{verifier_role_name(cluster, stage.region)}"
        # The verifier role trusts this role by name (aws:PrincipalArn), and no other principal.
        step_role = iam.Role(self, f"VerifyRole-{stage.name}",
                             role_name=verify_step_role_name(cluster, stage.account, stage.region),
                             assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"))
        return pipelines.CodeBuildStep(
            f"Verify-{stage.name}",
            input=source,
            role=step_role,
            env={"STAGE_SETTINGS": stage.overrides},
            commands=[
                f"aws configure set profile.verifier.role_arn {role_arn}",
                "aws configure set profile.verifier.credential_source EcsContainer",
                f"AWS_PROFILE=verifier python3 -m scripts.verify_cluster --region {stage.region} "
                '--settings "$STAGE_SETTINGS" --wait 900',
            ],
            role_policy_statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role_arn])],
            **({"vpc": self.verify_network.vpc, "subnet_selection": self.verify_network.subnets}
               if self.verify_network else {}),
        )
