"""A Statuspage API client published on PyPI, `atlassian-statuspage` 1.0.2 (generated from
Statuspage's own OpenAPI description; it checks every enum it receives), drives a real
`upstate web` process: the only change is its base URL."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from tests.test_serve import UPSTATE, _free_port, sqlite_env

atlassian_statuspage = pytest.importorskip("atlassian_statuspage")

STARTUP_ATTEMPTS = 300


@pytest.fixture
def server(tmp_path):
    """`upstate web` on its own SQLite data directory with the demo organization loaded;
    yields (base URL, an admin key, the server's log)."""
    env = sqlite_env(tmp_path / "data")
    run = {"env": env, "check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run([UPSTATE, "demo"], **run)
    key = subprocess.run([UPSTATE, "apikey", "create", "--org", "acme", "--role", "admin"], **run)
    token = key.stdout.strip().split()[-1]
    port = _free_port()
    log = (tmp_path / "web.log").open("w")
    process = subprocess.Popen(
        [UPSTATE, "web", "--port", str(port), "--threads", "4"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(STARTUP_ATTEMPTS):
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, token, tmp_path / "web.log"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _client(base: str, token: str):  # noqa: ANN202
    config = atlassian_statuspage.Configuration()
    config.host = (
        f"{base}/statuspage/v1"  # the one change: Statuspage's is https://api.statuspage.io/v1
    )
    config.api_key["Authorization"] = token
    config.api_key_prefix["Authorization"] = "OAuth"
    return atlassian_statuspage.ApiClient(config)


def test_the_published_client_works_against_upstate(server):
    from atlassian_statuspage.api.component_groups_api import ComponentGroupsApi
    from atlassian_statuspage.api.components_api import ComponentsApi
    from atlassian_statuspage.api.incident_postmortem_api import IncidentPostmortemApi
    from atlassian_statuspage.api.incidents_api import IncidentsApi
    from atlassian_statuspage.api.pages_api import PagesApi
    from atlassian_statuspage.api.subscribers_api import SubscribersApi
    from atlassian_statuspage.rest import ApiException

    base, token, log_path = server
    client = _client(base, token)
    pages = PagesApi(client).get_pages()
    assert [p.subdomain for p in pages] == ["acme"]
    page_id = pages[0].id

    components = ComponentsApi(client).get_pages_page_id_components(page_id)
    assert components and all(
        c.status
        in (
            "operational",
            "degraded_performance",
            "partial_outage",
            "major_outage",
            "under_maintenance",
        )
        for c in components
    )
    target = components[0]
    changed = ComponentsApi(client).patch_pages_page_id_components_component_id(
        {"component": {"status": "degraded_performance"}}, page_id, target.id
    )
    assert changed.status == "degraded_performance"
    groups = ComponentGroupsApi(client).get_pages_page_id_component_groups(page_id)
    # Statuspage's description types a group's `components` as a string; the client reads
    # the list of ids into one.
    assert groups and all(g.name and g.id for g in groups)

    incidents = IncidentsApi(client)
    created = incidents.post_pages_page_id_incidents(
        {
            "incident": {
                "name": "Elevated API error rates",
                "status": "investigating",
                "impact_override": "major",
                "body": "We are investigating.",
                "component_ids": [target.id],
                "components": {target.id: "partial_outage"},
                "deliver_notifications": False,
            }
        },
        page_id,
    )
    assert (created.name, created.status, created.impact) == (
        "Elevated API error rates",
        "investigating",
        "major",
    )
    assert created.incident_updates[0].body == "We are investigating."
    updated = incidents.patch_pages_page_id_incidents_incident_id(
        {"incident": {"status": "resolved", "body": "Fixed.", "deliver_notifications": False}},
        page_id,
        created.id,
    )
    assert updated.status == "resolved" and updated.resolved_at is not None
    listed = incidents.get_pages_page_id_incidents(page_id, q="API error", limit=10)
    assert created.id in [i.id for i in listed]
    assert created.id not in [
        i.id for i in incidents.get_pages_page_id_incidents_unresolved(page_id)
    ]

    postmortems = IncidentPostmortemApi(client)
    postmortems.put_pages_page_id_incidents_incident_id_postmortem(
        {"postmortem": {"body_draft": "A bad deploy."}}, page_id, created.id
    )
    postmortems.put_pages_page_id_incidents_incident_id_postmortem_publish(
        {"postmortem": {"notify_subscribers": False}}, page_id, created.id
    )
    assert (
        incidents.get_pages_page_id_incidents_incident_id(page_id, created.id).status
        == "postmortem"
    )

    subscribers = SubscribersApi(client)
    hook = subscribers.post_pages_page_id_subscribers(
        {"subscriber": {"endpoint": "https://hooks.example.com/statuspage"}}, page_id
    )
    assert hook.mode == "webhook"
    assert hook.id in [
        s.id for s in subscribers.get_pages_page_id_subscribers(page_id, type="webhook")
    ]
    subscribers.delete_pages_page_id_subscribers_subscriber_id(page_id, hook.id)

    # The public documents (Statuspage's v2 format) show what the client did, once built off
    # the request path (within a second, on whichever web process answers).
    def public_ids() -> list[str]:
        summary = httpx.get(f"{base}/p/acme/api/v2/incidents.json", timeout=10).json()
        return [i["id"] for i in summary["incidents"]]

    deadline = time.monotonic() + 10
    while created.id not in public_ids() and time.monotonic() < deadline:
        time.sleep(0.05)
    # A page whose builds stopped was seen here once, with no explanation: its log tells.
    assert created.id in public_ids(), log_path.read_text()[-5000:]

    incidents.delete_pages_page_id_incidents_incident_id(page_id, created.id)
    with pytest.raises(ApiException) as missing:
        incidents.get_pages_page_id_incidents_incident_id(page_id, created.id)
    assert missing.value.status == 404
