"""The app's domain model, below everything else: the settings (their table, parsers, bounds and
cross-checks), quantities, the version matrix and images, EC2 instance types and what a node offers pods,
controller footprints and the system-fit check, where pods run, and the Kubernetes objects and queries
that both the constructs and the planner read.

It imports neither aws-cdk-lib nor stacks/, cdk_constructs/ or planner/ (tests/test_layers.py holds it).
"""
