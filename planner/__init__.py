"""The offline capacity planner: simulates the configured scalers under a load profile.

Layers, each importing only those before it (tests/test_layers.py holds the order) and never aws-cdk-lib:
  engine/      the cluster model: clock, nodes, pods, scheduler, scenario, workloads read from the app
  scalers/     one module per scaler: HPA, metrics pipeline, KEDA, Karpenter (+ Spot), Cluster Autoscaler
  simulation   the loop that advances the clock and runs the scalers
  outputs/     the summary table, plots, the HTML report, time series files
  prometheus/  against a deployed cluster's Prometheus: the client, calibration, replay
  cli/         python -m planner: options, --compare, --sweep, --calibrate/--replay, the benchmark

For use from Python, see docs/planner.md ("From Python").
"""
