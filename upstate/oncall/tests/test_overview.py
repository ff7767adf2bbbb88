"""The overview's on-call card and the share of incidents acknowledged within their target."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from upstate.incidents.models import Incident
from upstate.incidents.services import create_incident
from upstate.oncall.reports import within_target
from upstate.oncall.services import set_response_targets, set_rotation
from upstate.orgs.models import Membership
from upstate.paging.services import create_team


def _incident(page, severity: str, started: datetime, waited: timedelta | None) -> Incident:
    incident = create_incident(page=page, title=f"{severity} {waited}", severity=severity)
    acknowledged = started + waited if waited is not None else None
    Incident.objects.filter(id=incident.id).update(started_at=started, acknowledged_at=acknowledged)
    return incident


def test_the_share_counts_only_decided_incidents(page, org):
    now = datetime.now(UTC)
    hour_ago = now - timedelta(hours=1)
    _incident(page, "critical", hour_ago, timedelta(minutes=3))  # within 5 min
    _incident(page, "critical", hour_ago, timedelta(minutes=9))  # late
    _incident(page, "critical", hour_ago, None)  # never acknowledged, past its target
    _incident(page, "high", now - timedelta(minutes=10), None)  # still within its hour
    _incident(page, "low", now - timedelta(days=40), timedelta(minutes=1))  # 30 d: out
    rows = {r.severity: r for r in within_target(org.id, [page.id], 30, now)}
    assert (rows["critical"].within, rows["critical"].decided, rows["critical"].percent) == (
        1,
        3,
        33,
    )
    assert (rows["high"].decided, rows["high"].percent) == (0, None)
    assert rows["low"].decided == 0
    rows = {r.severity: r for r in within_target(org.id, [page.id], 90, now)}
    assert (rows["low"].within, rows["low"].decided) == (1, 1)

    set_response_targets(org=org, critical=10)  # the organization's own target counts
    rows = {r.severity: r for r in within_target(org.id, [page.id], 30, now)}
    assert (rows["critical"].within, rows["critical"].decided) == (2, 3)


def test_the_overview_shows_the_share_and_who_is_on_call(client, viewer, owner, page, org):
    now = datetime.now(UTC)
    _incident(page, "high", now - timedelta(hours=3), timedelta(minutes=20))
    _incident(page, "high", now - timedelta(hours=3), timedelta(hours=2))
    team = create_team(org=org, name="Payments", members=[])
    set_rotation(
        team=team,
        members=[Membership.objects.get(user=owner.user)],
        handover_time=time(9, 0),
        time_zone="UTC",
        period="weekly",
        starts_on=now.date() - timedelta(days=30),
    )
    client.force_login(viewer.user)
    body = client.get("/dashboard/acme/").content.decode()
    card = body.split('id="oncall-overview"')[1].split("</section>")[0]
    assert "Payments" in card and "owner@acme.test" in card
    share = body.split('data-days="30"')[1].split("</table>")[0]
    high = share.split('data-severity="high"')[1].split("</tr>")[0]
    assert "1 of 2" in high and "50 %" in high


def test_another_organization_sees_nothing_of_it(client, outsider, owner, page, org, other_page):
    team = create_team(org=org, name="Payments", members=[])
    set_rotation(
        team=team,
        members=[Membership.objects.get(user=owner.user)],
        handover_time=time(9, 0),
        time_zone="UTC",
        period="weekly",
        starts_on=datetime.now(UTC).date() - timedelta(days=30),
    )
    _incident(page, "high", datetime.now(UTC) - timedelta(hours=3), timedelta(minutes=5))
    client.force_login(outsider.user)
    body = client.get("/dashboard/globex/").content.decode()
    assert "Payments" not in body and "owner@acme.test" not in body
    share = body.split('data-days="30"')[1].split("</table>")[0]
    assert "1 of 1" not in share
    assert client.get("/dashboard/acme/").status_code == 404
