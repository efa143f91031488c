"""The planner against a deployed cluster's Prometheus: the HTTP API client (api.py), calibration of the
latencies (calibrate.py) and the replay of an observed window beside its plan (replay.py)."""
