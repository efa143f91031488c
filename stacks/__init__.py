"""The deployable units: the parent EKS stack, one nested stack per capability, the pipeline stack and
the cdk-nag checks. Stacks turn settings (eks_scaling) into construct props (cdk_constructs)."""
