# Every target sets up what it needs: .venv (Python deps) and node_modules (CDK CLI and its Node).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The pinned Node 22 from node_modules runs the CDK CLI and jsii alike.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
CDK := npx --no-install cdk

.PHONY: setup synth test test-prometheus test-browser browser prometheus-tools check-cdk-json crds snapshots nag plan plan-bench bench doctor check-aws \
	bootstrap diff deploy destroy clean

# Without the pinned Node in node_modules/.bin, npx would run the CDK CLI on whatever Node the system has.
setup: $(VENV)/.installed node_modules/.installed
	@test -x node_modules/.bin/node || { echo "error: node_modules/.bin/node is missing: npm ran with install \
	scripts disabled (npm config get ignore-scripts), so the pinned Node was not unpacked; run \
	'npm config set ignore-scripts false && rm -rf node_modules' and make again"; exit 1; }

# A venv without pip (Debian/Ubuntu without python3-venv) is recreated, not taken for a finished one.
# From the hashed lock (requirements-dev.lock: every package of requirements-dev.txt and its dependencies,
# pinned with their sha256; regenerate it as docs/testing.md says after changing a requirements file).
$(VENV)/.installed: requirements.txt requirements-plan.txt requirements-dev.txt requirements-dev.lock
	@echo "setup: installing the Python packages into $(VENV) (about a minute on a fresh clone)"
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) || { echo "error: '$(PYTHON) -m venv' could not create \
	$(VENV): install the venv module (Debian/Ubuntu: sudo apt install python3-venv) and make again"; exit 1; }
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is not on PATH: install Node.js with npm \
	(https://nodejs.org); it only installs the project's own pinned Node and CDK CLI"; exit 1; }
	@echo "setup: installing the pinned CDK CLI and Node.js into node_modules (about 30 s on a fresh clone)"
	npm ci --no-audit --no-fund
	touch $@

synth: setup
	@$(BIN)/python -m scripts.check_cdk_args synth
	$(CDK) synth --quiet $(CDK_ARGS)

# On every core, at most 4 workers (pytest-xdist): each worker synthesizes the configurations its tests use.
test: setup
	$(BIN)/pytest -n auto --maxprocesses 4

# Rule tests (promtool) and the planner's calibrate/replay against a real local Prometheus: Debian's
# prometheus package, which this target does not install (.ci/run does).
test-prometheus: prometheus-tools setup
	$(BIN)/pytest -m prometheus tests/prometheus

prometheus-tools:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null || \
		{ echo "test-prometheus needs promtool and prometheus: apt-get install prometheus" >&2; exit 2; }

# The planner's HTML reports in a real headless browser: Debian's chromium, which this target does not
# install (.ci/run does).
test-browser: browser setup
	$(BIN)/pytest -m browser tests/browser

browser:
	@command -v chromium >/dev/null || \
		{ echo "test-browser needs a headless browser: apt-get install chromium" >&2; exit 2; }

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
	$(BIN)/python -m planner.cli.bench

# Synth time of the default app against a bare cluster (docs/architecture.md budget: 1.5x).
RUNS ?= 5
bench: setup
	$(BIN)/python benchmarks/synth_time.py $(RUNS)

# One screen: what the next step needs (Python, Node, venv, CLI, AWS, kubectl), each ok or what to do.
doctor:
	@$(PYTHON) -m scripts.doctor

# Commands that talk to AWS check credentials and region first (one quick call), before any synth.
export CDK_ARGS
check-aws:
	@$(PYTHON) -m scripts.check_aws

# CDK_ARGS passes extra CLI arguments, e.g. CDK_ARGS="-c kubernetesVersion=1.34"; scripts/check_cdk_args.py
# refuses first what the CLI would silently drop (an unknown option, -c without =, a key that is no setting).
bootstrap: check-aws setup
	@$(BIN)/python -m scripts.check_cdk_args bootstrap
	$(CDK) bootstrap $(CDK_ARGS)

diff: check-aws setup
	@$(BIN)/python -m scripts.check_cdk_args diff
	$(CDK) diff $(CDK_ARGS)

deploy: check-aws setup
	@$(BIN)/python -m scripts.check_cdk_args deploy
	$(CDK) deploy --all $(CDK_ARGS)

destroy: check-aws setup
	@$(BIN)/python -m scripts.check_cdk_args destroy
	$(CDK) destroy --all $(CDK_ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
