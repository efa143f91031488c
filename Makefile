# Every target sets up what it needs: .venv (Python deps) and node_modules (CDK CLI and its Node).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The pinned Node 22 from node_modules runs the CDK CLI and jsii alike.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
CDK := npx --no-install cdk

.PHONY: setup synth test test-prometheus check-cdk-json crds snapshots nag plan plan-bench bench bootstrap diff deploy destroy clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-plan.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

synth: setup
	$(CDK) synth --quiet $(CDK_ARGS)

test: setup
	$(BIN)/pytest

# Rule tests (promtool) and the planner's calibrate/replay against a real local Prometheus: Debian's
# prometheus package, which this target does not install (.ci/run does).
test-prometheus: setup
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || \
		{ echo "test-prometheus needs promtool and prometheus: apt-get install prometheus" >&2; exit 2; }
	$(BIN)/pytest -m prometheus tests/prometheus

# The project's own CI: cdk.json ships every setting at its default (a deployment's cdk.json need not).
check-cdk-json: setup
	$(BIN)/python -m scripts.check_cdk_json

# Rewrites tests/reference/crds/ from the Karpenter and KEDA charts the matrix pins (needs the network,
# or MIRROR=<dir> of local bare clones); run it after changing those pins.
crds: setup
	$(BIN)/python -m scripts.refresh_crds

# Rewrites tests/__snapshots__/ (syrupy) from the current code; review the diff before committing.
snapshots: setup
	$(BIN)/pytest tests/test_snapshots.py --snapshot-update

# cdk-nag runs in every synth; this prints its report: open findings and each acknowledgment's reason.
nag: synth
	$(BIN)/python -m scripts.nag_report cdk.out

# The capacity planner: PLAN_ARGS passes its options, e.g. PLAN_ARGS="--scenario spike --compare nodeAutoscaler=cluster-autoscaler".
plan: setup
	$(BIN)/python -m planner $(PLAN_ARGS)

# The planner's speed budget: 24 h at 1 s with ~1,000 pods on ~100 nodes in under 10 s.
plan-bench: setup
	$(BIN)/python -m planner.bench

# Synth time of the default app against a bare cluster (ARCHITECTURE.md budget: 1.5x).
RUNS ?= 5
bench: setup
	$(BIN)/python benchmarks/synth_time.py $(RUNS)

# CDK_ARGS passes extra CLI arguments, e.g. CDK_ARGS="-c kubernetesVersion=1.34".
bootstrap: setup
	$(CDK) bootstrap $(CDK_ARGS)

diff: setup
	$(CDK) diff $(CDK_ARGS)

deploy: setup
	$(CDK) deploy --all $(CDK_ARGS)

destroy: setup
	$(CDK) destroy --all $(CDK_ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
