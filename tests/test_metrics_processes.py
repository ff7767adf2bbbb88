"""/metrics of a real `upstate serve` with two web workers (granian forks them): every scrape,
whichever worker answers it, adds up all processes of the host (prometheus_client's
multiprocess mode), including public documents counted on each worker's event loop and the
monitor checks of the worker process."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from tests.test_serve import UPSTATE, _free_port, sqlite_env, stop


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return sqlite_env(tmp_path / "data")


def _wait_for_http(url: str, server: subprocess.Popen) -> httpx.Response:
    for _ in range(600):
        assert server.poll() is None, "upstate serve exited during startup"
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered on {url}")


TOKEN = "t0ken-for-the-scraper"


def _public_requests(base: str) -> float:
    response = httpx.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if (
                sample.name == "upstate_http_requests_total"
                and sample.labels.get("surface") == "public"
            ):
                total += sample.value
    return total


def _public_by_process(directory: Path) -> dict[str, float]:
    """Public requests each process wrote to its own files (prometheus_client's reader, one
    process at a time)."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        with tempfile.TemporaryDirectory() as one:
            shutil.copy(path, one)
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=one)
            total = sum(
                sample.value
                for family in registry.collect()
                for sample in family.samples
                if sample.name == "upstate_http_requests_total"
                and sample.labels.get("surface") == "public"
            )
        if total:
            counts[pid] = total
    return counts


def test_every_scrape_adds_up_all_web_workers(env, tmp_path):
    env = {**env, "UPSTATE_METRICS_TOKEN": TOKEN, "UPSTATE_LOG_LEVEL": "WARNING"}
    subprocess.run([UPSTATE, "demo"], env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        assert _wait_for_http(f"{base}/p/acme/", server).status_code == 200
        assert httpx.get(f"{base}/metrics", timeout=60).status_code == 401
        time.sleep(1.5)  # the request that found the page up is counted within a second
        before = _public_requests(base)
        directory = tmp_path / "data" / "metrics"
        sent = 0
        # New connections until both web workers have answered public requests (the kernel
        # decides which worker accepts each one).
        while sent < 400 and len(_public_by_process(directory)) < 2:
            for _ in range(20):
                assert httpx.get(f"{base}/p/acme/", timeout=60).status_code == 200
            sent += 20
            time.sleep(1.5)  # each worker's event loop moves its counts every second
        by_process = _public_by_process(directory)
        assert len(by_process) >= 2, by_process
        time.sleep(1.5)
        seen = {_public_requests(base) - before for _ in range(6)}
        # Every scrape counts all of them, whichever worker answered it.
        assert seen == {float(sent)}, (seen, by_process, log_path.read_text()[-2000:])
    finally:
        stop(server)
