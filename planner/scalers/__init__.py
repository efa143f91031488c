"""One module per scaler, each re-expressing its controller's code at the pinned version: the HPA
(hpa.py, hpa_scaling.py, pod_autoscaling.py), the metrics pipeline, KEDA, Karpenter (karpenter.py,
spot.py) and Cluster Autoscaler. They act on planner/engine's cluster."""
