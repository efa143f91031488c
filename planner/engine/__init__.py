"""The cluster model every scaler acts on: nodes and pods (nodes.py), the cluster and its scheduler
(cluster.py), the load scenario (scenario.py), the workloads read from the app's settings and manifests
(workloads.py, hpa_spec.py), the numbers the plan assumes (assumptions.py), the decision log
(decisions.py) and the parsing of user inputs (inputs.py)."""
