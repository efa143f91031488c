"""The self-mutating delivery pipeline: source, synth (tests first), then one stage per setting."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Aws, Environment, Stack, Stage
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from stacks.eks_scaling_stack import add_eks_scaling_stack, verifier_role_name, verify_step_role_name
from stacks.nag import acknowledge_known_findings
from eks_scaling.pipeline_config import PipelineConfig, StageConfig
from eks_scaling.versions import CDK_ASSETS_VERSION

# The README's own commands: `make test` and `make synth` set up .venv and node_modules themselves.
SYNTH_COMMANDS = ["make test", "make synth"]
# Self-mutation and asset publishing use the CLI that package.json pins, not the newest one.
CDK_CLI_VERSION = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())[
    "devDependencies"]["aws-cdk"]


class EksScalingStage(Stage):
    """One deployment of the EKS scaling stack, with read access for the pipeline's verification."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, verifier_account: str) -> None:
        super().__init__(scope, construct_id, env=Environment(account=stage.account, region=stage.region))
        self.stack = add_eks_scaling_stack(self, stage.app, verifier_account=verifier_account if stage.verify else None)
        acknowledge_known_findings(self)


class PipelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, pipeline: PipelineConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, description="Delivery pipeline of the EKS scaling app", **kwargs)
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
                build_environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0)),
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
        )
