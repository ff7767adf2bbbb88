"""The history feeds (RSS, Atom) and the maintenance calendar, parsed back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from upstate.incidents.services import (
    create_incident,
    delete_incident,
    publish_postmortem,
    save_postmortem,
)
from upstate.maintenance.models import Maintenance
from upstate.maintenance.services import post_maintenance_update, schedule_maintenance
from upstate.public import feeds, links
from upstate.public.tests.scene import Scene, build_scene

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def scene(page) -> Scene:
    return build_scene(page)


def rss_items(page) -> list[ET.Element]:
    root = ET.fromstring(feeds.documents(page)["history.rss"])
    assert root.tag == "rss"
    return root.findall("./channel/item")


def atom_entries(page) -> list[ET.Element]:
    root = ET.fromstring(feeds.documents(page)["history.atom"])
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def calendar_events(page) -> list:
    calendar = Calendar.from_ical(feeds.documents(page)["maintenance.ics"])
    return calendar.walk("VEVENT")


def test_it_builds_the_three_feeds(scene):
    assert set(feeds.documents(scene.page)) == {"history.rss", "history.atom", "maintenance.ics"}


def test_rss_lists_public_incidents_newest_first(scene):
    channel = ET.fromstring(feeds.documents(scene.page)["history.rss"]).find("channel")
    assert channel.findtext("link") == links.page_url(scene.page)
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Elevated API errors", "Slow database"]
    assert items[0].findtext("link") == links.incident_url(scene.active)
    assert items[0].findtext("guid") == links.incident_url(scene.active)


def test_rss_description_renders_the_updates_as_html(scene):
    description = rss_items(scene.page)[0].findtext("description")
    assert "<strong>Monitoring</strong>" in description
    assert "Rolled back; <strong>watching</strong>." in description
    assert "We are investigating elevated error rates." in description
    # newest update first
    assert description.index("Monitoring") < description.index("Investigating")


def test_atom_entries_link_to_the_incident_with_html_content(scene):
    entries = atom_entries(scene.page)
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Elevated API errors", "Slow database"]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == links.incident_url(scene.active)
    assert first.findtext(f"{ATOM}id") == links.incident_url(scene.active)
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "Rolled back; <strong>watching</strong>." in content.text


def test_feeds_leave_out_internal_and_deleted_incidents(scene):
    delete_incident(incident=scene.resolved)
    documents = feeds.documents(scene.page)
    for path in ("history.rss", "history.atom"):
        assert b"Internal disk alarm" not in documents[path]
        assert b"Slow database" not in documents[path]
    assert [i.findtext("title") for i in rss_items(scene.page)] == ["Elevated API errors"]


def test_a_published_postmortem_is_linked(scene):
    save_postmortem(incident=scene.resolved, summary="A missing index.")
    entry = atom_entries(scene.page)[1]
    assert links.postmortem_url(scene.resolved) not in entry.findtext(f"{ATOM}content")
    publish_postmortem(incident=scene.resolved)
    entry = atom_entries(scene.page)[1]
    assert f'href="{links.postmortem_url(scene.resolved)}"' in entry.findtext(f"{ATOM}content")


def test_calendar_has_one_event_per_unfinished_maintenance(scene):
    events = {str(e["SUMMARY"]): e for e in calendar_events(scene.page)}
    assert set(events) == {"Website migration", "Cache upgrade"}
    event = events["Website migration"]
    assert str(event["UID"]).startswith(f"maintenance-{scene.upcoming.code}@")
    assert str(event["URL"]) == links.maintenance_url(scene.upcoming)
    assert str(event["DESCRIPTION"]) == "We will move the website to new servers."
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    assert start == scene.upcoming.starts_at.replace(microsecond=0).astimezone(UTC)
    assert end == scene.upcoming.ends_at.replace(microsecond=0).astimezone(UTC)
    assert event.to_ical().decode().count("Z\r\n") >= 2  # DTSTART/DTEND written in UTC


def test_calendar_keeps_recently_completed_maintenance_only(scene):
    now = timezone.now()
    recent = schedule_maintenance(
        page=scene.page,
        title="Yesterday's work",
        starts_at=now - timedelta(days=1),
        ends_at=now - timedelta(hours=23),
    )
    post_maintenance_update(maintenance=recent, status="completed")
    old = schedule_maintenance(
        page=scene.page,
        title="Last quarter's work",
        starts_at=now - timedelta(days=90),
        ends_at=now - timedelta(days=90, hours=-2),
    )
    post_maintenance_update(maintenance=old, status="completed")
    Maintenance.objects.filter(id=old.id).update(completed_at=now - timedelta(days=90))
    summaries = {str(e["SUMMARY"]) for e in calendar_events(scene.page)}
    assert summaries == {"Website migration", "Cache upgrade", "Yesterday's work"}


def test_empty_page_has_valid_empty_feeds(page):
    assert rss_items(page) == []
    assert atom_entries(page) == []
    assert calendar_events(page) == []


def test_feed_titles_are_escaped(page, api_component):
    create_incident(page=page, title="<script>alert(1)</script> & more", message="<b>x</b>")
    item = rss_items(page)[0]
    assert item.findtext("title") == "<script>alert(1)</script> & more"
    assert "<script>" not in item.findtext("description")
