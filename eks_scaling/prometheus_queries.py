"""What Prometheus scrapes and how its consumers query it: shared by the Prometheus constructs and the
offline planner (planner/scalers/metrics_pipeline.py), so this module must not import aws-cdk-lib."""

from __future__ import annotations

# Chart 29.27.0 scrapes every 1m (server.global.scrape_interval): a rate(...[2m]) then sees one or
# two samples and the custom metric flaps to <unknown>. 15 s gives 8 samples per 2-minute window.
SCRAPE_INTERVAL = "15s"

# The chapter's adapter rule, with the adapter's label templates instead of a hard-coded namespace.
REQUESTS_PER_SECOND_RULE = {
    "seriesQuery": 'http_requests_total{namespace!="",pod!=""}',
    "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
    "name": {"matches": "^(.*)_total", "as": "${1}_per_second"},
    "metricsQuery": "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
}
