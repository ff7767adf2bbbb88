"""A Statuspage account for the importer's tests and bench/import_statuspage.py: generated
deterministically in the management API's documented shapes (statuspage-api.md section 2),
served by a real threaded HTTP server on loopback with `page`/`per_page` paging (subscribers
numbered from 0, as Statuspage does), or written out as an export directory."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_ID = "8m2l51279rpl"
API_KEY = "89a229ce-test-key"
BASE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STATUSES = ["investigating", "identified", "monitoring", "resolved"]
IMPACTS = ["none", "minor", "major", "critical"]
BAD = {"none": "operational", "minor": "degraded_performance", "major": "partial_outage"}
BAD["critical"] = "major_outage"


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _sid(prefix: str, n: int) -> str:
    """A 12-character id like Statuspage's."""
    return f"{prefix}{n:0{12 - len(prefix)}d}"


@dataclass
class Account:
    page: dict[str, Any]
    groups: list[dict[str, Any]]
    components: list[dict[str, Any]]
    incidents: list[dict[str, Any]]  # newest first, maintenance included
    templates: list[dict[str, Any]]
    subscribers: list[dict[str, Any]]

    def lists(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "component-groups": self.groups,
            "components": self.components,
            "incidents": self.incidents,
            "incident_templates": self.templates,
            "subscribers": self.subscribers,
        }

    @property
    def realtime(self) -> list[dict[str, Any]]:
        return [i for i in self.incidents if not i["scheduled_for"]]

    @property
    def maintenance(self) -> list[dict[str, Any]]:
        return [i for i in self.incidents if i["scheduled_for"]]


def _component(n: int, name: str, group: str | None, status: str = "operational") -> dict:
    return {
        "id": _sid("cmp", n),
        "page_id": PAGE_ID,
        "group_id": group,
        "created_at": ts(BASE - timedelta(days=400)),
        "updated_at": ts(BASE - timedelta(days=400)),
        "group": False,
        "name": name,
        "description": f"The {name} service" if n % 2 else None,
        "position": n,
        "status": status,
        "showcase": True,
        "only_show_if_degraded": n == 5,
        "automation_email": f"component+{n}@notifications.statuspage.io",
        "start_date": "2025-04-27",
    }


def _update(iid: str, uid: str, status: str, body: str, at: datetime, changes: list) -> dict:
    return {
        "id": uid,
        "incident_id": iid,
        "affected_components": changes or None,
        "body": body,
        "created_at": ts(at),
        "custom_tweet": None,
        "deliver_notifications": True,
        "display_at": ts(at),
        "status": status,
        "tweet_id": None,
        "twitter_updated_at": None,
        "updated_at": ts(at),
        "wants_twitter_update": False,
    }


def _incident(n: int, components: list[dict], updates_each: int, *, active: bool) -> dict:
    iid = _sid("inc", n)
    impact = IMPACTS[n % 4]
    started = BASE - timedelta(hours=7 * n + 3)
    hit = [components[n % len(components)]]
    if n % 3 == 0:
        hit.append(components[(n + 2) % len(components)])
    bad = BAD[impact]
    updates = []
    statuses = STATUSES[:-1] if active else STATUSES
    for k in range(updates_each):
        status = statuses[min(k, len(statuses) - 1)] if k < updates_each - 1 else statuses[-1]
        at = started + timedelta(minutes=20 * k)
        new = "operational" if status == "resolved" else bad
        old = "operational" if k == 0 else bad
        changes = [
            {"code": c["id"], "name": c["name"], "old_status": old, "new_status": new} for c in hit
        ]
        body = f"Update {k + 1} on incident {n}: **{status}**. Customers may see errors."
        updates.append(_update(iid, _sid(f"u{k}", n), status, body, at, changes))
    last = started + timedelta(minutes=20 * (updates_each - 1))
    status = updates[-1]["status"]
    postmortem = n % 10 == 7 and not active
    return {
        "id": iid,
        "components": [{**c, "status": bad if active else "operational"} for c in hit],
        "created_at": ts(started),
        "impact": impact,
        "impact_override": None,
        "incident_updates": list(reversed(updates)),  # Statuspage lists the newest first
        "metadata": {},
        "monitoring_at": ts(started + timedelta(minutes=40)) if updates_each > 2 else None,
        "name": f"Elevated errors on {hit[0]['name']} #{n}",
        "page_id": PAGE_ID,
        "postmortem_body": f"## What happened\n\nA bad deploy (#{n})." if postmortem else None,
        "postmortem_body_last_updated_at": ts(last + timedelta(days=1)) if postmortem else None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": ts(last + timedelta(days=1)) if postmortem else None,
        "resolved_at": None if active else ts(last),
        "scheduled_auto_completed": False,
        "scheduled_auto_in_progress": False,
        "scheduled_for": None,
        "auto_transition_deliver_notifications_at_end": None,
        "auto_transition_deliver_notifications_at_start": None,
        "auto_transition_to_maintenance_state": None,
        "auto_transition_to_operational_state": None,
        "scheduled_remind_prior": False,
        "scheduled_reminded_at": None,
        "scheduled_until": None,
        "shortlink": f"https://stspg.io/{iid}",
        "status": status,
        "started_at": ts(started),
        "updated_at": ts(last),
        "reminder_intervals": None,
    }


def _maintenance(n: int, components: list[dict], *, future: bool) -> dict:
    mid = _sid("mnt", n)
    start = BASE + timedelta(days=400 + n) if future else BASE - timedelta(days=3 * n + 1)
    end = start + timedelta(hours=2)
    if future:
        updates = [_update(mid, _sid("mu0", n), "scheduled", "We will upgrade the DB.", BASE, [])]
        status, resolved = "scheduled", None
    else:
        updates = [
            _update(mid, _sid("mu2", n), "completed", "Done.", end, []),
            _update(mid, _sid("mu1", n), "in_progress", "Underway.", start, []),
            _update(mid, _sid("mu0", n), "scheduled", "Planned.", start - timedelta(days=2), []),
        ]
        status, resolved = "completed", ts(end)
    return {
        **_incident(0, components, 1, active=False),
        "id": mid,
        "name": f"Database upgrade #{n}",
        "components": [components[n % len(components)]],
        "impact": "maintenance",
        "incident_updates": updates,
        "postmortem_body": None,
        "postmortem_published_at": None,
        "resolved_at": resolved,
        "scheduled_for": ts(start),
        "scheduled_until": ts(end),
        "scheduled_auto_in_progress": True,
        "scheduled_auto_completed": True,
        "status": status,
        "created_at": ts((BASE if future else start) - timedelta(days=2)),
        "started_at": ts(start),
        "updated_at": ts(end),
    }


def _subscriber(n: int, mode: str, components: list[dict], **values: Any) -> dict:
    base = {
        "id": _sid("sub", n),
        "skip_confirmation_notification": False,
        "mode": mode,
        "email": None,
        "endpoint": None,
        "phone_number": None,
        "phone_country": None,
        "display_phone_number": None,
        "obfuscated_channel_name": None,
        "workspace_name": None,
        "quarantined_at": None,
        "purge_at": None,
        "components": [components[n % len(components)]["id"]] if n % 4 == 0 else [],
        "page_access_user_id": None,
        "created_at": ts(BASE - timedelta(days=200 - n)),
        "state": "active",
    }
    return {**base, **values}


def make_account(
    *, incidents: int = 320, updates_each: int = 4, maintenance: int = 6, active: int = 2
) -> Account:
    """`incidents` realtime incidents (`active` of them unresolved), `maintenance` scheduled
    ones (half ahead, half done), 3 groups of 8 components, 3 templates, subscribers of each
    kind (some Upstate cannot bring: an invalid email, a Slack workspace)."""
    groups_spec = [("Backend", [1, 2, 3]), ("Frontend", [4, 5]), ("Regions", [6, 7])]
    names = ["API", "Database", "Queue", "Website", "Dashboard", "EU", "US", "CDN"]
    group_of = {n: _sid("grp", g) for g, (_, ns) in enumerate(groups_spec, 1) for n in ns}
    components = [_component(n, names[n - 1], group_of.get(n)) for n in range(1, 9)]
    groups = [
        {
            "id": _sid("grp", g),
            "page_id": PAGE_ID,
            "name": name,
            "description": None,
            "components": [_sid("cmp", n) for n in ns],
            "position": g,
            "created_at": ts(BASE - timedelta(days=400)),
            "updated_at": ts(BASE - timedelta(days=400)),
        }
        for g, (name, ns) in enumerate(groups_spec, 1)
    ]
    # The group entries the real components list also holds.
    listed = [
        {**_component(100 + g["position"], g["name"], None), "id": g["id"], "group": True}
        for g in groups
    ]
    history = [
        _incident(n, components, updates_each, active=n <= active) for n in range(1, incidents + 1)
    ]
    # Active incidents hold their components' status, as Statuspage reports them.
    for incident in history[:active]:
        for c in incident["components"]:
            for comp in components:
                if comp["id"] == c["id"]:
                    comp["status"] = c["status"]
    scheduled = [_maintenance(n, components, future=n % 2 == 0) for n in range(1, maintenance + 1)]
    templates = [
        {
            "id": _sid("tpl", n),
            "components": [components[n]],
            "name": name,
            "title": title,
            "body": f"We are looking into {title.lower()}.",
            "group_id": None,
            "update_status": "investigating",
            "should_tweet": False,
            "should_send_notifications": True,
        }
        for n, (name, title) in enumerate(
            [("Slow API", "Slow API responses"), ("Login", "Login failures"), ("DB", "DB")], 1
        )
    ]
    subscribers = [
        *[
            _subscriber(n, "email", components, email=f"person{n}@customer.test")
            for n in range(1, 9)
        ],
        _subscriber(9, "email", components, email="not an address"),
        _subscriber(10, "email", components, email="late@customer.test", state="unconfirmed"),
        _subscriber(
            11,
            "email",
            components,
            email="bounced@customer.test",
            state="quarantined",
            quarantined_at=ts(BASE - timedelta(days=5)),
        ),
        _subscriber(
            12,
            "sms",
            components,
            phone_number="+14155550123",
            phone_country="us",
            display_phone_number="+1 415-555-0123",
        ),  # fmt: skip
        _subscriber(
            13,
            "sms",
            components,
            phone_number="4155550199",
            phone_country="us",
            display_phone_number="(415) 555-0199",
        ),  # fmt: skip
        _subscriber(14, "webhook", components, endpoint="https://hooks.customer.test/status"),
        _subscriber(
            15, "slack", components, workspace_name="Customer", obfuscated_channel_name="#st***"
        ),  # fmt: skip
    ]
    page = {
        "id": PAGE_ID,
        "created_at": ts(BASE - timedelta(days=500)),
        "updated_at": ts(BASE),
        "name": "Acme Cloud Status",
        "page_description": "Live status of Acme Cloud.",
        "subdomain": "acmecloud",
        "domain": None,
        "url": "https://www.acmecloud.test",
        "support_url": None,
        "time_zone": "Europe/Berlin",
    }
    return Account(
        page=page,
        groups=groups,
        components=[*listed, *components],
        incidents=[*history, *scheduled],
        templates=templates,
        subscribers=subscribers,
    )


# --- the server ----------------------------------------------------------------------------------


@dataclass
class AccountServer:
    """The account behind a real HTTP server on loopback. `fail` maps (list, page number) to
    an HTTP status answered every time; `throttle` to how many 429s precede the answer."""

    account: Account
    fail: dict[tuple[str, int], int] = field(default_factory=dict)
    # (list, page number) -> how many more times to answer 429 (Retry-After: 0) first.
    throttle: dict[tuple[str, int], int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        if auth not in (f"OAuth {API_KEY}", API_KEY):
            return 401, {"message": "Could not authenticate"}
        prefix = f"/v1/pages/{PAGE_ID}"
        if path.removesuffix(".json") == prefix:
            return 200, self.account.page
        if not path.startswith(prefix + "/"):
            return 404, {"message": "The requested resource could not be found."}
        name = path[len(prefix) + 1 :].removesuffix(".json")
        lists = self.account.lists()
        if name not in lists:
            return 404, {"message": "The requested resource could not be found."}
        items = lists[name]
        if name == "subscribers":
            state = query.get("state", ["active"])[0]
            if state != "all":
                items = [s for s in items if s["state"] == state]
        first = 0 if name == "subscribers" else 1
        number = int(query.get("page", [str(first)])[0])
        size = int(query.get("per_page", query.get("limit", ["100"]))[0])
        size = max(1, min(size, 100))
        if (name, number) in self.fail:
            return self.fail[(name, number)], {"message": "Internal Server Error"}
        if self.throttle.get((name, number), 0) > 0:
            self.throttle[(name, number)] -= 1
            return 429, {"message": "Rate limit exceeded"}
        start = (max(number, first) - first) * size
        return 200, items[start : start + size]


def _handler(server: AccountServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            server.requests.append(self.path)
            status, body = server.answer(
                parts.path, parse_qs(parts.query), self.headers.get("Authorization", "")
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


class serving:  # noqa: N801 (used as a context manager, like open)
    def __init__(self, server: AccountServer) -> None:
        self.server = server
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        self.http.daemon_threads = True
        server.port = self.http.server_port

    def __enter__(self) -> AccountServer:
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self.server

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


def export(account: Account, directory: Path, *, incident_files: int = 3) -> Path:
    """The export the documented curl commands produce: page.json, one file per list, the
    incidents split over incidents-1.json, incidents-2.json, ... (one API page each)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "page.json").write_text(json.dumps(account.page))
    for name, items in account.lists().items():
        if name == "incidents":
            continue
        (directory / f"{name}.json").write_text(json.dumps(items))
    chunks = list(_split(account.incidents, incident_files))
    for n, chunk in enumerate(chunks, 1):
        (directory / f"incidents-{n}.json").write_text(json.dumps(chunk))
    return directory


def _split(items: list, parts: int) -> Iterator[list]:
    size = -(-len(items) // parts)
    for start in range(0, len(items), size):
        yield items[start : start + size]
