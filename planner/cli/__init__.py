"""python -m planner: the options and the run (main.py), --compare (comparison.py), --sweep (sweep.py),
--calibrate and --replay (observe.py), and make plan-bench (bench.py)."""
