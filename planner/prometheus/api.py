"""A small client of the Prometheus HTTP API (/api/v1/query, /api/v1/query_range), standard library only.

Every failure is a PrometheusError with one line fit to print: the server unreachable, an HTTP or
PromQL error, a body that is not Prometheus' JSON.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

# Prometheus refuses a range query of more than 11,000 points per series (web/api/v1/api.go).
MAX_POINTS = 11000
_DURATION = re.compile(r"^([0-9]+)(s|m|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

Labels = dict[str, str]


class PrometheusError(ValueError):
    """Prometheus could not answer; the message says which server and why, in one line."""


def duration(text: str, flag: str) -> float:
    """`7d`, `12h`, `90m`, `30s` or `2w`, in seconds."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise PrometheusError(f"{flag} {text!r}: expected a duration such as 7d, 12h or 30m")
    return int(match.group(1)) * _UNITS[match.group(2)]


def timestamp(text: str, flag: str) -> float:
    """A Unix time in seconds or an RFC 3339 time (2026-11-28T10:00:00Z), as Unix seconds."""
    try:
        value = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise PrometheusError(f"{flag} {text!r}: expected an RFC 3339 time such as 2026-11-28T10:00:00Z "
                                  "or Unix seconds") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        value = parsed.timestamp()
    if not math.isfinite(value) or value < 0:
        raise PrometheusError(f"{flag} {text!r}: expected a time after 1970")
    return value


class Prometheus:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise PrometheusError(f"{url!r} is not a Prometheus URL such as http://localhost:9090")
        self.url, self.timeout = url.rstrip("/"), timeout
        self._names: set[str] | None = None

    def metric_names(self) -> set[str]:
        """Every metric name the server holds (its label-values endpoint for __name__)."""
        if self._names is None:
            self._names = set(self._get("/api/v1/label/__name__/values", {}))
        return self._names

    def _get(self, path: str, params: dict[str, str]) -> dict:
        address = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                raise PrometheusError(f"Prometheus at {self.url}: {json.loads(body)['error']}") from None
            except (ValueError, KeyError):
                raise PrometheusError(f"Prometheus at {self.url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"Prometheus at {self.url} is unreachable ({reason})") from None
        try:
            answer = json.loads(body)
        except ValueError:
            raise PrometheusError(f"{self.url} did not answer like Prometheus (no JSON from {path})") from None
        if answer.get("status") != "success":
            raise PrometheusError(f"Prometheus at {self.url}: {answer.get('error', 'query failed')}")
        return answer["data"]

    def instant(self, query: str, at: float) -> list[tuple[Labels, float]]:
        """The query's vector at one time: (labels, value) per series."""
        data = self._get("/api/v1/query", {"query": query, "time": f"{at:.3f}"})
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(series["metric"], float(series["value"][1])) for series in data["result"]]

    def range(self, query: str, start: float, end: float, step: float) -> list[tuple[Labels, list[tuple[float, float]]]]:
        """The query over [start, end] every step seconds, in as many requests as the point limit needs."""
        found: dict[str, tuple[Labels, list[tuple[float, float]]]] = {}
        chunk = step * (MAX_POINTS - 1)
        first = start
        while first <= end:
            last = min(end, first + chunk)
            data = self._get("/api/v1/query_range", {"query": query, "start": f"{first:.3f}",
                                                     "end": f"{last:.3f}", "step": f"{step:g}"})
            for series in data["result"]:
                key = json.dumps(series["metric"], sort_keys=True)
                points = found.setdefault(key, (series["metric"], []))[1]
                points.extend((float(t), float(v)) for t, v in series["values"])
            first = last + step
        return list(found.values())
