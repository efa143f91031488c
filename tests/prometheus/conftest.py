"""A real Prometheus server on localhost (Debian's package), loaded with the synthetic cluster's blocks."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.prometheus import synthetic
from tests.prometheus.tools import binary, write_rules


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(folder: Path, openmetrics: str | None):
    """Start prometheus on `folder` (blocks created from `openmetrics` first, the app's rules loaded);
    yield its URL; stop it."""
    data = folder / "data"
    if openmetrics is not None:
        (folder / "series.om").write_text(openmetrics)
        created = subprocess.run([binary("promtool"), "tsdb", "create-blocks-from", "openmetrics",
                                  str(folder / "series.om"), str(data)], capture_output=True, text=True, timeout=120)
        assert created.returncode == 0, created.stderr
    write_rules(folder / "rules.yaml")
    (folder / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"}, "rule_files": ["rules.yaml"]}))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "prometheus.log").open("w")
    server = subprocess.Popen([binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}",
                               f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
                               "--storage.tsdb.retention.time=10y"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"prometheus did not start: {(folder / 'prometheus.log').read_text()[-500:]}")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def cluster() -> synthetic.Cluster:
    return synthetic.run()


@pytest.fixture(scope="session")
def window_start() -> float:
    """The synthetic window began a day ago, on a whole hour (calibrate reads up to now)."""
    return float((int(time.time()) // 3600 - 24) * 3600)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory, cluster, window_start):
    yield from _serve(tmp_path_factory.mktemp("prometheus"), synthetic.openmetrics(cluster, window_start))


@pytest.fixture(scope="session")
def empty_prometheus(tmp_path_factory):
    """A server that has seen no scaler at all."""
    yield from _serve(tmp_path_factory.mktemp("empty-prometheus"), None)
