"""Custom-domain verification for real: `upstate serve` (web processes and the worker) with
UPSTATE_DNS_RESOLVER pointing at a DNS server of the test; the worker's check finds the TXT
record and the web processes then serve the page at its domain."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from tests.dnsserver import TxtServer
from tests.test_secret_key import env  # noqa: F401
from tests.test_serve import UPSTATE, _free_port, _wait_for_http, run

DOMAIN = "status.acme.test"
ATTEMPTS = 300  # x 0.2 s


@pytest.fixture
def txt_server():
    server = TxtServer()
    yield server
    server.close()


def test_the_worker_verifies_a_domain_and_the_web_serves_it(env, tmp_path, txt_server):  # noqa: F811
    env.update(UPSTATE_DNS_RESOLVER=txt_server.address, UPSTATE_PUBLIC_URL="http://127.0.0.1")
    run(env, "migrate")
    run(env, "org", "create", "acme", "--name", "Acme")
    key = run(env, "apikey", "create", "--org", "acme", "--role", "admin")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {key}"}
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [UPSTATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        _wait_for_http(f"{base}/healthz", server)
        created = httpx.post(
            f"{base}/api/v1/pages",
            json={"name": "Acme Status", "slug": "acme", "custom_domain": DOMAIN},
            headers=auth,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        page = created.json()
        record = page["custom_domain_verification"]
        assert httpx.get(f"{base}/", headers={"Host": DOMAIN}, timeout=10).status_code == 404

        txt_server.add_txt(record["record_name"], record["record_value"])
        checked = httpx.post(
            f"{base}/api/v1/pages/{page['id']}/custom-domain/check", headers=auth, timeout=30
        )
        assert checked.status_code == 202
        for _ in range(ATTEMPTS):
            state = httpx.get(f"{base}/api/v1/pages/{page['id']}", headers=auth, timeout=10).json()
            if state["custom_domain_verification"]["status"] == "verified":
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"never verified: {state['custom_domain_verification']}")
        assert record["record_name"] in txt_server.queries  # the worker asked our server
        assert state["url"] == f"https://{DOMAIN}", state
        # The web processes follow the version the worker built once the domain was verified.
        for _ in range(ATTEMPTS):
            served = httpx.get(f"{base}/api/v2/summary.json", headers={"Host": DOMAIN}, timeout=10)
            if served.status_code == 200 and served.json()["page"]["url"] == f"https://{DOMAIN}":
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the domain never served the new version: {served.status_code}")
        # The installation's own host still shows the page under /p/, and no dashboard there.
        assert httpx.get(f"{base}/p/acme/", timeout=10).status_code == 200
        assert httpx.get(f"{base}/dashboard/login/", headers={"Host": DOMAIN}).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
