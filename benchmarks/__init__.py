"""make bench: the default app's synth time against a bare aws_eks_v2 cluster (synth_time.py), and that
baseline app (bare_cluster_app.py)."""
