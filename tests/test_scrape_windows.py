"""Every rate() window over scraped metrics spans at least 4 scrapes, so the metric never flaps to <unknown>."""

from __future__ import annotations

import re

import pytest

from tests.synth import CONFIGS, chart_values, manifest_objects

HELM = "Custom::AWSCDK-EKS-HelmChart"
MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
# prometheus chart 29.27.0, values.yaml: server.global.scrape_interval when not overridden.
CHART_DEFAULT_SCRAPE_INTERVAL = "1m"
MIN_SCRAPES_PER_WINDOW = 4
_WINDOW = re.compile(r"\[(\d+[smh])\]")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _seconds(duration: str) -> int:
    return int(duration[:-1]) * _SECONDS[duration[-1]]


def _queries(templates) -> list[str]:
    """Every PromQL text the app hands to a consumer: adapter rules and ScaledObject triggers."""
    queries = []
    for template in templates:
        for resource in template["Resources"].values():
            if resource["Type"] == HELM and resource["Properties"]["Chart"] == "prometheus-adapter":
                queries += [rule["metricsQuery"] for rule in chart_values(resource)["rules"]["custom"]]
            if resource["Type"] == MANIFEST:
                queries += [trigger["metadata"]["query"] for obj in manifest_objects(resource)
                            if obj["kind"] == "ScaledObject" for trigger in obj["spec"]["triggers"]
                            if trigger["type"] == "prometheus"]
    return queries


def _scrape_interval(templates) -> str:
    (values,) = [chart_values(resource) for template in templates for resource in template["Resources"].values()
                 if resource["Type"] == HELM and resource["Properties"]["Chart"] == "prometheus"]
    return values.get("server", {}).get("global", {}).get("scrape_interval", CHART_DEFAULT_SCRAPE_INTERVAL)


@pytest.mark.parametrize("name", [name for name in CONFIGS if CONFIGS[name].get("enablePrometheus") != "false"])
def test_every_rate_window_spans_at_least_four_scrapes(synth, name):
    templates = list(synth(name).template_files().values())
    interval = _seconds(_scrape_interval(templates))
    queries = _queries(templates)
    assert queries, "the adapter rule and the ScaledObject query are checked"
    for query in queries:
        windows = _WINDOW.findall(query)
        assert windows, f"a rate window in {query}"
        for window in windows:
            assert _seconds(window) / interval >= MIN_SCRAPES_PER_WINDOW, (
                f"{query}: [{window}] holds {_seconds(window) / interval:g} scrapes at a {interval} s interval")
