#!/usr/bin/env python3
"""Entry point: settings from CDK context -> the delivery pipeline, or the EKS scaling stack alone."""

import sys

import aws_cdk as cdk

from eks_scaling.cdk_json import CdkJsonError, cdk_json_context
from eks_scaling.parse_settings import parse_config
from eks_scaling.pipeline_config import parse_pipeline
from eks_scaling.setting_parsers import ConfigError
from eks_scaling.system_fit import check_system_fit


def main() -> None:
    # cdk.json is read here too, so `python app.py` alone synthesizes the same app as the CLI;
    # the CLI's context (cdk.json plus -c overrides) takes precedence.
    try:
        app = cdk.App(context=cdk_json_context())
        context = app.node.get_all_context()
        config = parse_config(context)
        pipeline = parse_pipeline(context)
        for deployed in [stage.app for stage in pipeline.stages] if pipeline else [config]:
            check_system_fit(deployed)
    except (ConfigError, CdkJsonError) as error:
        sys.exit(f"error: {error}")
    # Imported after parsing, so that a bad setting fails fast, before the stack modules load.
    from stacks.eks_scaling_stack import add_eks_scaling_stack
    from stacks.nag import add_nag_checks
    from stacks.pipeline_stack import PipelineStack

    add_nag_checks(app)

    if pipeline:
        PipelineStack(app, "EksScalingPipeline", pipeline=pipeline,
                      env=cdk.Environment(account=pipeline.account, region=pipeline.region))
    else:
        add_eks_scaling_stack(app, config)
    app.synth()


if __name__ == "__main__":
    main()
