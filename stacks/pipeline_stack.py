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

from stacks.eks_scaling_stack import add_eks_scaling_stack, verifier_role_name
from stacks.nag import acknowledge_known_findings
from stacks.pipeline_config import PipelineConfig, StageConfig

# The README's own commands: `make test` and `make synth` set up .venv and node_modules themselves.
SYNTH_COMMANDS = ["make test", "make synth"]
# Self-mutation and asset publishing use the CLI that package.json pins, not the newest one.
CDK_CLI_VERSION = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())[
    "devDependencies"]["aws-cdk"]


class EksScalingStage(Stage):
    """One deployment of the EKS scaling stack, with read access for the pipeline's verification."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, verifier_account: str) -> None:
        super().__init__(scope, construct_id, env=Environment(account=stage.account, region=stage.region))
        self.stack = add_eks_scaling_stack(self, stage.app, verifier_account=verifier_account)
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
                post=[self._verify_step(source, stage)],
            )

    @staticmethod
    def _verify_step(source: pipelines.IFileSetProducer, stage: StageConfig) -> pipelines.CodeBuildStep:
        """Runs scripts/verify_cluster.py against the stage's cluster through its verifier role."""
        role_arn = (f"arn:{Aws.PARTITION}:iam::{stage.account}:role/"
                    f"{verifier_role_name(stage.app.cluster.name, stage.region)}")
        return pipelines.CodeBuildStep(
            f"Verify-{stage.name}",
            input=source,
            env={"STAGE_SETTINGS": stage.overrides},
            commands=[
                f"aws configure set profile.verifier.role_arn {role_arn}",
                "aws configure set profile.verifier.credential_source EcsContainer",
                f"AWS_PROFILE=verifier python3 -m scripts.verify_cluster --region {stage.region} "
                '--settings "$STAGE_SETTINGS" --wait 900',
            ],
            role_policy_statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[role_arn])],
        )
