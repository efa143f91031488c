"""Command-line helpers behind the make targets: post-deploy verification, the AWS credential check,
make doctor, the cdk-nag report, the cdk.json check, and the refreshers of the pinned CRDs and the
instance-type table."""
