#!/usr/bin/env python3
"""Entry point: settings from CDK context -> the EKS scaling stack."""

import sys

import aws_cdk as cdk

from stacks.config import ConfigError, cdk_json_context, parse_config


def main() -> None:
    # cdk.json is read here too, so `python app.py` alone synthesizes the same app as the CLI;
    # the CLI's context (cdk.json plus -c overrides) takes precedence.
    app = cdk.App(context=cdk_json_context())
    try:
        config = parse_config(app.node.get_all_context())
    except ConfigError as error:
        sys.exit(f"error: {error}")
    # Imported after parsing so that a bad setting fails fast, before the stack modules load.
    from stacks.eks_scaling_stack import EksScalingStack

    env = cdk.Environment(account=config.account, region=config.region) if config.account else None
    EksScalingStack(app, "EksScalingStack", config=config, env=env,
                    description=f"EKS cluster {config.cluster.name} with every layer of autoscaling")
    app.synth()


if __name__ == "__main__":
    main()
