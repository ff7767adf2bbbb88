"""`upstate import statuspage`, through the function against a real HTTP server on loopback
serving a generated Statuspage account: what is brought, as history (nobody notified), once
(a second run updates), all or nothing per kind, and only into the organization named."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from huey.contrib.djhuey import HUEY

from upstate.incidents.models import (
    Incident,
    IncidentComponent,
    IncidentTemplate,
    IncidentUpdate,
    Postmortem,
    PostmortemStatus,
    UpdateComponentChange,
)
from upstate.lib.errors import InvalidInput
from upstate.maintenance.models import Maintenance, MaintenanceStatus
from upstate.notifications.models import Event
from upstate.pages.health import component_statuses
from upstate.pages.models import Component, ComponentGroup, ComponentStatus, StatusPage
from upstate.public import store
from upstate.statuspage.importer import import_statuspage, target_page
from upstate.statuspage.source import ApiSource, DirectorySource
from upstate.statuspage.tests.fake_account import (
    API_KEY,
    PAGE_ID,
    AccountServer,
    export,
    make_account,
    serving,
)
from upstate.subscribers.models import Subscriber, SubscriberState

pytestmark = pytest.mark.django_db(transaction=True)


def _run(org, server, *, slug="status", trust=False, retries=1):
    source = ApiSource(
        api_key=API_KEY, page_id=PAGE_ID, base_url=server.base_url, retries=retries, backoff=0.01
    )
    lines: list[str] = []
    try:
        page, created = target_page(org=org, slug=slug, upstream=source.page())
        report = import_statuspage(
            org=org,
            page=page,
            source=source,
            page_created=created,
            trust_confirmed=trust,
            progress=lines.append,
        )
    finally:
        source.close()
    return report, lines


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def account():
    return make_account(incidents=320, updates_each=4, maintenance=6, active=2)


def test_it_brings_the_whole_account_as_history(org, account, smtp_sink):
    with serving(AccountServer(account)) as server:
        report, lines = _run(org, server, trust=True)

    assert report.ok, report.describe()
    page = StatusPage.objects.get(slug="status")
    assert (page.org, page.name, page.time_zone) == (org, "Acme Cloud Status", "Europe/Berlin")
    # Components in their groups, the group entries of the list brought as groups only.
    assert ComponentGroup.objects.filter(page=page).count() == 3
    assert Component.objects.filter(page=page).count() == 8
    api = Component.objects.get(page=page, statuspage_id="cmp000000001")
    assert (api.name, api.group.name, api.position) == ("API", "Backend", 1)
    assert str(api.start_date) == "2025-04-27"
    # Every incident, with its updates (times as they were) and component changes.
    assert Incident.objects.filter(org=org).count() == 320
    assert IncidentUpdate.objects.filter(incident__org=org).count() == 320 * 4
    upstream = account.realtime[41]
    incident = Incident.objects.get(org=org, statuspage_id=upstream["id"])
    assert incident.title == upstream["name"]
    assert incident.impact == upstream["impact"]
    assert incident.started_at == _when(upstream["started_at"])
    assert incident.created_at == _when(upstream["created_at"])
    assert incident.resolved_at == _when(upstream["resolved_at"])
    times = sorted(u.created_at for u in incident.updates.all())
    assert times == sorted(_when(u["display_at"]) for u in upstream["incident_updates"])
    assert {u.message for u in incident.updates.all()} == {
        u["body"] for u in upstream["incident_updates"]
    }
    assert UpdateComponentChange.objects.filter(update__incident=incident).exists()
    # A published postmortem.
    with_pm = next(i for i in account.realtime if i["postmortem_body"])
    pm = Postmortem.objects.get(incident__statuspage_id=with_pm["id"], incident__org=org)
    assert pm.status == PostmortemStatus.PUBLISHED
    assert pm.summary == with_pm["postmortem_body"]
    # Active incidents hold their components' status; resolving them returns them.
    active = Incident.objects.filter(org=org, resolved_at__isnull=True)
    assert active.count() == 2
    statuses = component_statuses(page)
    for row in IncidentComponent.objects.filter(incident__in=active):
        assert statuses[row.component_id] != ComponentStatus.OPERATIONAL
    quiet = Component.objects.get(page=page, statuspage_id="cmp000000008")
    assert statuses[quiet.id] == ComponentStatus.OPERATIONAL
    # Scheduled maintenance, done and ahead.
    assert Maintenance.objects.filter(org=org).count() == 6
    done = Maintenance.objects.get(org=org, statuspage_id="mnt000000001")
    assert done.status == MaintenanceStatus.COMPLETED and done.updates.count() == 3
    assert done.completed_at == _when(account.maintenance[0]["resolved_at"])
    ahead = Maintenance.objects.get(org=org, statuspage_id="mnt000000002")
    assert ahead.status == MaintenanceStatus.SCHEDULED
    # Templates with their components.
    assert IncidentTemplate.objects.filter(org=org).count() == 3
    slow = IncidentTemplate.objects.get(org=org, statuspage_id="tpl000000001")
    assert slow.affected.get().component.statuspage_id == "cmp000000002"
    # A template's component listed operational follows its impact.
    db = IncidentTemplate.objects.get(org=org, statuspage_id="tpl000000003")
    assert (db.affected.get().status, db.impact) == ("", "minor")
    # The public page was rebuilt with the history.
    documents = store.snapshot_of(page.code).documents
    assert account.realtime[0]["name"].encode() in documents["api/v2/summary.json"].body
    assert account.realtime[5]["name"].encode() in documents["api/v2/incidents.json"].body
    # Progress on each kind.
    assert "incidents 320/320" in lines and "incidents 100/320" in lines
    # Nobody heard of any of it: no notification or paging event, no task, no email.
    assert Event.objects.count() == 0
    assert HUEY.pending_count() == 0
    assert smtp_sink.count == 0
    incidents = report.kind("incidents")
    assert (incidents.created, incidents.updated, incidents.unchanged) == (320, 0, 0)


def test_subscribers_are_asked_to_confirm_unless_trusted(org, account, smtp_sink):
    with serving(AccountServer(account)) as server:
        report, _ = _run(org, server)

    subscribers = report.kind("subscribers")
    assert subscribers.skipped == {
        "invalid email": 1,
        "phone number without its country code": 1,
        "Slack subscriptions belong to Statuspage's Slack app": 1,
    }
    assert "skipped 3 subscribers: invalid email (1)" in report.describe()
    page = StatusPage.objects.get(slug="status")
    emails = Subscriber.objects.filter(page=page, channel="email")
    # 8 active + 1 unconfirmed asked to confirm; the quarantined one stays disabled.
    assert [s.state for s in emails].count(SubscriberState.UNCONFIRMED) == 9
    assert emails.get(address="bounced@customer.test").state == SubscriberState.DISABLED
    assert Subscriber.objects.get(page=page, channel="webhook").state == SubscriberState.ACTIVE
    sms = Subscriber.objects.get(page=page, channel="sms")
    assert sms.address == "+14155550123" and sms.confirmed_at is None
    assert smtp_sink.wait_for(9)
    assert smtp_sink.count == 9  # confirmations only
    assert all("confirm" in m.message["Subject"].lower() for m in smtp_sink.mails)
    assert Event.objects.count() == 0


def test_trusted_subscribers_stay_confirmed_and_get_nothing(org, account, smtp_sink):
    with serving(AccountServer(account)) as server:
        report, _ = _run(org, server, trust=True)

    page = StatusPage.objects.get(slug="status")
    active = Subscriber.objects.filter(page=page, confirmed_at__isnull=False, disabled_at=None)
    # 8 active emails, the SMS and the webhook; the never-confirmed one is left out.
    assert active.count() == 10
    assert not Subscriber.objects.filter(address="late@customer.test").exists()
    assert report.kind("subscribers").skipped["never confirmed on Statuspage"] == 1
    assert smtp_sink.count == 0


def test_a_second_run_updates_and_never_duplicates(org, account, smtp_sink):
    with serving(AccountServer(account)) as server:
        _run(org, server)
        before = {
            model: model.objects.count()
            for model in (
                Incident,
                IncidentUpdate,
                UpdateComponentChange,
                IncidentComponent,
                Postmortem,
                Maintenance,
                Component,
                ComponentGroup,
                IncidentTemplate,
                Subscriber,
            )
        }
        mails = smtp_sink.count
        account.realtime[10]["name"] = "Checkout errors (renamed upstream)"
        account.realtime[10]["incident_updates"][0]["body"] = "Corrected text."
        report, _ = _run(org, server)

    assert report.ok, report.describe()
    assert {model: model.objects.count() for model in before} == before
    renamed = Incident.objects.get(org=org, statuspage_id=account.realtime[10]["id"])
    assert renamed.title == "Checkout errors (renamed upstream)"
    assert renamed.updates.filter(message="Corrected text.").count() == 1
    incidents = report.kind("incidents")
    assert (incidents.created, incidents.updated, incidents.unchanged) == (0, 1, 319)
    kinds = ("components", "component groups", "maintenance", "subscribers", "incident templates")
    for name in kinds:
        assert report.kind(name).created == report.kind(name).updated == 0, name
    assert smtp_sink.count == mails  # nobody is asked to confirm twice
    assert Event.objects.count() == 0


def test_a_failure_halfway_leaves_no_incident_half_imported(org, account):
    failing = AccountServer(account, fail={("incidents", 3): 500})
    with serving(failing) as server:
        report, _ = _run(org, server, retries=2)

    assert not report.ok
    incidents = report.kind("incidents")
    assert incidents.failed and "HTTP 500" in incidents.failed and "page=3" in incidents.failed
    assert Incident.objects.filter(org=org).count() == 0
    assert Maintenance.objects.filter(org=org).count() == 0
    # Kinds before it are in; the ones after it were not started.
    assert Component.objects.filter(page__org=org).count() == 8
    assert Subscriber.objects.count() == 0
    assert sum("page=3" in r for r in failing.requests) == 3  # tried, then retried twice
    assert "FAILED, nothing of this kind was imported" in report.describe()
    assert "Run the same command again" in report.describe()

    with serving(AccountServer(account)) as server:
        again, _ = _run(org, server)
    assert again.ok
    assert Incident.objects.filter(org=org).count() == 320
    assert again.kind("components").created == 0


def test_a_rate_limited_page_is_retried_and_imported_whole(org, account):
    throttled = AccountServer(account, throttle={("incidents", 2): 2, ("subscribers", 0): 1})
    with serving(throttled) as server:
        report, _ = _run(org, server, retries=2)

    assert report.ok, report.describe()
    assert sum("page=2" in r and "/incidents" in r for r in throttled.requests) == 3
    assert Incident.objects.filter(org=org).count() == 320
    assert Subscriber.objects.count() == 12


def test_importing_into_one_org_never_touches_another(org, other_org, account):
    with serving(AccountServer(account)) as server:
        _run(other_org, server, slug="globex-status")
        theirs = Incident.objects.get(org=other_org, statuspage_id="inc000000005")
        account.realtime[4]["name"] = "Only Acme sees this title"
        report, _ = _run(org, server, slug="status")

        # Their copy, same Statuspage ids, is untouched; ours is separate.
        assert report.kind("incidents").created == 320
        theirs.refresh_from_db()
        assert theirs.title != "Only Acme sees this title"
        assert Incident.objects.filter(org=other_org).count() == 320
        ours = Incident.objects.get(org=org, statuspage_id="inc000000005")
        assert ours.page.slug == "status" and ours.id != theirs.id

        # A page slug of the other organization is refused, nothing written.
        with pytest.raises(InvalidInput, match="another organization"):
            _run(org, server, slug="globex-status")


def test_an_export_directory_imports_the_same(org, account, tmp_path):
    export(account, tmp_path / "export")
    source = DirectorySource(tmp_path / "export")
    page, created = target_page(org=org, slug=None, upstream=source.page())
    report = import_statuspage(org=org, page=page, source=source, page_created=created)

    assert report.ok, report.describe()
    assert page.slug == "acmecloud" and created
    assert Incident.objects.filter(org=org).count() == 320
    assert Maintenance.objects.filter(org=org).count() == 6
    assert Subscriber.objects.filter(page=page).count() == 12


def test_an_export_file_may_hold_the_pages_one_after_another(account, tmp_path):
    """`for p in 1 2 3; do curl ...; done > incidents.json` concatenates the answers."""
    pages = [account.incidents[n : n + 100] for n in range(0, len(account.incidents), 100)]
    (tmp_path / "incidents.json").write_text("\n".join(json.dumps(p) for p in pages))
    (tmp_path / "components.json").write_text('[{"id": "x"}] [oops')

    source = DirectorySource(tmp_path)

    found = source.fetch("incidents", lambda line: None)
    assert [i["id"] for i in found] == [i["id"] for i in account.incidents]
    assert source.fetch("subscribers", lambda line: None) is None  # no file: not in the export
    with pytest.raises(InvalidInput, match="components.json: not JSON at line 1 column 16"):
        source.fetch("components", lambda line: None)
