from __future__ import annotations

import pytest

from upstate.lib.errors import InvalidInput
from upstate.pages.health import rollup
from upstate.pages.models import ComponentGroup, ComponentStatus, StatusPage
from upstate.pages.services import (
    create_component,
    create_group,
    create_page,
    delete_group,
    update_component,
    update_page,
)

S = ComponentStatus


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "-edge"}, "slug"),
        ({"name": "  "}, "name"),
        ({"accent_color": "blue"}, "accent_color"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"custom_domain": "not a host"}, "custom_domain"),
        ({"colour": "x"}, "colour"),
    ],
)
def test_bad_page_settings_name_the_field(org, fields, field):
    base = {"name": "Status", "slug": "status"}
    with pytest.raises(InvalidInput) as caught:
        create_page(org=org, **{**base, **fields})
    assert caught.value.field == field
    assert not StatusPage.objects.exists()


def test_slugs_and_verified_domains_are_unique_across_orgs(page, other_org, prove_domain):
    update_page(page=page, custom_domain="Status.Acme.test.")
    page.refresh_from_db()
    assert page.custom_domain == "status.acme.test"
    with pytest.raises(InvalidInput) as caught:
        create_page(org=other_org, name="x", slug="acme")
    assert caught.value.field == "slug"
    prove_domain(page)
    with pytest.raises(InvalidInput) as caught:
        create_page(org=other_org, name="x", slug="x", custom_domain="status.acme.test")
    assert caught.value.field == "custom_domain"


def test_components_are_appended_in_order(page):
    first = create_component(page=page, name="API")
    second = create_component(page=page, name="Web")
    assert second.position > first.position


def test_a_group_from_another_page_is_refused(page, other_page, api_component):
    foreign = create_group(page=other_page, name="Theirs")
    with pytest.raises(InvalidInput) as caught:
        update_component(component=api_component, group=foreign)
    assert caught.value.field == "group_id"


def test_deleting_a_group_keeps_its_components(page):
    group = create_group(page=page, name="Core")
    component = create_component(page=page, name="API", group=group)
    delete_group(group=group)
    component.refresh_from_db()
    assert component.group is None
    assert not ComponentGroup.objects.exists()


@pytest.mark.parametrize(
    ("statuses", "indicator", "description"),
    [
        ([], "none", "All Systems Operational"),
        ([S.OPERATIONAL, S.OPERATIONAL], "none", "All Systems Operational"),
        ([S.MAJOR_OUTAGE, S.MAJOR_OUTAGE], "critical", "Major System Outage"),
        ([S.MAJOR_OUTAGE], "critical", "Major System Outage"),
        ([S.MAJOR_OUTAGE, S.OPERATIONAL], "major", "Partial System Outage"),
        ([S.PARTIAL_OUTAGE, S.PARTIAL_OUTAGE], "major", "Partial System Outage"),
        ([S.PARTIAL_OUTAGE, S.OPERATIONAL], "minor", "Minor Service Outage"),
        ([S.DEGRADED_PERFORMANCE] * 2, "minor", "Degraded System Service"),
        ([S.DEGRADED_PERFORMANCE, S.OPERATIONAL], "minor", "Partially Degraded Service"),
        ([S.UNDER_MAINTENANCE, S.OPERATIONAL], "maintenance", "Service Under Maintenance"),
        ([S.UNDER_MAINTENANCE, S.DEGRADED_PERFORMANCE], "minor", "Partially Degraded Service"),
    ],
)
def test_rollup_follows_statuspage_rules(statuses, indicator, description):
    result = rollup(statuses)
    assert (result.indicator, result.description) == (indicator, description)


def test_worst_status_wins():
    assert S.worst([S.OPERATIONAL, S.MAJOR_OUTAGE, S.DEGRADED_PERFORMANCE]) == S.MAJOR_OUTAGE
    assert S.worst([S.OPERATIONAL, S.UNDER_MAINTENANCE]) == S.UNDER_MAINTENANCE
    assert S.worst([]) == S.OPERATIONAL
