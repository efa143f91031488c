"""A small client of the Prometheus HTTP API (/api/v1/query, /api/v1/query_range), standard library only.

Every failure is a PrometheusError with one line fit to print: the server unreachable, an HTTP or
PromQL error, a body that is not Prometheus' JSON.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

from eks_scaling.typed_text import ascii_float, ascii_pattern, full_match

# Prometheus refuses a range query of more than 11,000 points per series (web/api/v1/api.go).
MAX_POINTS = 11000
_DURATION = ascii_pattern(r"([0-9]+)(s|m|h|d|w)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

Labels = dict[str, str]


class PrometheusError(ValueError):
    """Prometheus could not answer; the message says which server and why, in one line."""


def duration(text: str, flag: str) -> float:
    """`7d`, `12h`, `90m`, `30s` or `2w`, in seconds."""
    match = full_match(_DURATION, text.strip())
    if not match or int(match.group(1)) == 0:
        raise PrometheusError(f"{flag} {text!r}: expected a duration such as 7d, 12h or 30m")
    return int(match.group(1)) * _UNITS[match.group(2)]


def timestamp(text: str, flag: str) -> float:
    """A Unix time in seconds or an RFC 3339 time (2026-11-28T10:00:00Z), as Unix seconds."""
    try:
        value = ascii_float(text)
    except ValueError:
        try:
            if not text.isascii():
                raise ValueError(text)
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
            names = self._get("/api/v1/label/__name__/values", {})
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise self._shape("/api/v1/label/__name__/values")
            self._names = set(names)
        return self._names

    def _get(self, path: str, params: dict[str, str]) -> Any:
        address = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            answer = _json(error.read())
            if isinstance(answer, dict) and isinstance(answer.get("error"), str):
                raise PrometheusError(f"Prometheus at {self.url}: {_line(answer['error'])}") from None
            raise PrometheusError(f"Prometheus at {self.url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"Prometheus at {self.url} is unreachable ({reason or type(error).__name__})") from None
        except http.client.HTTPException as error:  # a banner that is not HTTP, a cut-off body
            raise PrometheusError(f"{self.url} did not answer in HTTP ({type(error).__name__}): is it Prometheus?") \
                from None
        answer = _json(body)
        if not isinstance(answer, dict) or "status" not in answer:
            raise PrometheusError(f"{self.url} did not answer like Prometheus (no JSON object from {path})")
        if answer["status"] != "success":
            raise PrometheusError(f"Prometheus at {self.url}: {_line(answer.get('error', 'query failed'))}")
        if "data" not in answer:
            raise PrometheusError(f"{self.url} did not answer like Prometheus (no data from {path})")
        return answer["data"]

    def _shape(self, path: str) -> PrometheusError:
        return PrometheusError(f"{self.url} did not answer like Prometheus (an unexpected shape from {path})")

    def instant(self, query: str, at: float) -> list[tuple[Labels, float]]:
        """The query's vector at one time: (labels, value) per series."""
        data = self._get("/api/v1/query", {"query": query, "time": f"{at:.3f}"})
        try:
            if data["resultType"] == "scalar":
                return [({}, self._sample(data["result"][1]))]
            return [(_labels(series["metric"]), self._sample(series["value"][1])) for series in data["result"]]
        except (KeyError, IndexError, TypeError):
            raise self._shape("/api/v1/query") from None

    def range(self, query: str, start: float, end: float, step: float) -> list[tuple[Labels, list[tuple[float, float]]]]:
        """The query over [start, end] every step seconds, in as many requests as the point limit needs."""
        found: dict[str, tuple[Labels, list[tuple[float, float]]]] = {}
        chunk = step * (MAX_POINTS - 1)
        first = start
        while first <= end:
            last = min(end, first + chunk)
            data = self._get("/api/v1/query_range", {"query": query, "start": f"{first:.3f}",
                                                     "end": f"{last:.3f}", "step": f"{step:g}"})
            try:
                for series in data["result"]:
                    labels = _labels(series["metric"])
                    points = found.setdefault(json.dumps(labels, sort_keys=True), (labels, []))[1]
                    points.extend((self._sample(t), self._sample(v)) for t, v in series["values"])
            except (KeyError, IndexError, TypeError, ValueError):
                raise self._shape("/api/v1/query_range") from None
            first = last + step
        return list(found.values())

    def _sample(self, text: Any) -> float:
        """A finite number: none of the planner's queries (sums, rates, counts, timestamps) yields NaN or Inf."""
        try:
            value = ascii_float(text) if isinstance(text, str) else float(text)
        except (TypeError, ValueError):
            raise PrometheusError(f"{self.url} answered a sample that is not a number: {_line(repr(text))}") from None
        if isinstance(text, bool) or not math.isfinite(value):
            raise PrometheusError(f"{self.url} answered a sample of {_line(repr(text))}, where the planner's queries "
                                  "only yield finite numbers")
        return value


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _labels(metric: Any) -> Labels:
    if not isinstance(metric, dict) or not all(isinstance(value, str) for value in metric.values()):
        raise TypeError("labels")
    return metric


def _line(text: Any) -> str:
    """A server's words on one line, and not a page of them."""
    words = " ".join(str(text).split())
    return words if len(words) <= 200 else words[:197] + "..."
