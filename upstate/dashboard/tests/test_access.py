from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from upstate.dashboard.access import get_for_member, member_context
from upstate.dashboard.tests.helpers import declare
from upstate.incidents.models import Incident
from upstate.pages.models import Component


def _request(user):  # noqa: ANN001, ANN202
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_members_get_their_role(responder):
    member = member_context(_request(responder.user), "acme")
    assert member.org == responder.org
    assert member.can_respond and not member.can_manage


def test_outsiders_and_unknown_orgs_get_404(outsider, org):
    with pytest.raises(Http404):
        member_context(_request(outsider.user), "acme")
    with pytest.raises(Http404):
        member_context(_request(outsider.user), "nope")


def test_viewers_are_refused_write_levels(viewer):
    with pytest.raises(PermissionDenied):
        member_context(_request(viewer.user), "acme", require="respond")


def test_it_returns_the_object_and_whether_the_caller_may_write(responder, viewer, page):
    incident = declare(page)
    obj, can_write = get_for_member(
        _request(responder.user), Incident, org_slug="acme", code=incident.code
    )
    assert obj == incident and can_write is True
    _, can_write = get_for_member(
        _request(viewer.user), Incident, org_slug="acme", code=incident.code
    )
    assert can_write is False


def test_write_level_manage_is_for_admins(responder, owner, api_component):
    for persona, expected in ((responder, False), (owner, True)):
        _, can_write = get_for_member(
            _request(persona.user),
            Component,
            org_slug="acme",
            org_path="page__org",
            write="manage",
            code=api_component.code,
        )
        assert can_write is expected


def test_another_orgs_object_is_404_even_through_ones_own_org(owner, outsider, other_page):
    theirs = declare(other_page)
    with pytest.raises(Http404):
        get_for_member(_request(owner.user), Incident, org_slug="acme", code=theirs.code)


def test_require_above_the_role_is_403_only_for_members(viewer, outsider, page):
    incident = declare(page)
    with pytest.raises(PermissionDenied):
        get_for_member(
            _request(viewer.user), Incident, org_slug="acme", require="respond", code=incident.code
        )
    with pytest.raises(Http404):
        get_for_member(
            _request(outsider.user),
            Incident,
            org_slug="acme",
            require="respond",
            code=incident.code,
        )
