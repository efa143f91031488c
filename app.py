#!/usr/bin/env python3
"""Entry point: settings from CDK context -> the EKS scaling stack."""

import sys

import aws_cdk as cdk

from stacks.config import AppConfig, ConfigError, cdk_json_context, parse_config


def build(app: cdk.App, config: AppConfig):
    """Add the app's stacks for a parsed config; the tests build through here too."""
    # Imported here so that a bad setting fails fast, before the stack modules load.
    from stacks.eks_scaling_stack import EksScalingStack

    # Env-agnostic unless both are configured: then synth still needs no lookup (AZs are named).
    env = cdk.Environment(account=config.account, region=config.region) if config.account else None
    return EksScalingStack(app, "EksScalingStack", config=config, env=env,
                           description=f"EKS cluster {config.cluster.name} with every layer of autoscaling")


def main() -> None:
    # cdk.json is read here too, so `python app.py` alone synthesizes the same app as the CLI;
    # the CLI's context (cdk.json plus -c overrides) takes precedence.
    app = cdk.App(context=cdk_json_context())
    try:
        config = parse_config(app.node.get_all_context())
    except ConfigError as error:
        sys.exit(f"error: {error}")
    build(app, config)
    app.synth()


if __name__ == "__main__":
    main()
