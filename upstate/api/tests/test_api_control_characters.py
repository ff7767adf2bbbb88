"""The accepted-text rule on the API: control characters (but tab and newline) and lone
surrogates are refused with 422 naming the field, and nothing is stored."""

from __future__ import annotations

import json
import typing

import pytest

from upstate.api.fields import InSchema, _storable
from upstate.api.root import api as ninja_api
from upstate.api.tests.helpers import Api, field_errors
from upstate.incidents.models import Incident
from upstate.incidents.services import create_incident
from upstate.maintenance.models import Maintenance
from upstate.pages.models import Component, StatusPage

ESC, FORM_FEED, VTAB, C1 = "\x1b", "\x0c", "\x0b", "\x85"


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)


@pytest.mark.parametrize("char", [ESC, FORM_FEED, VTAB, "\x01", "\x7f", C1, "\ufffe"])
def test_it_refuses_an_incident_title_with_a_control_character(api, page, char):
    body = {"page_id": page.code, "title": f"a {char} b", "status": "investigating"}
    response = api.post("/incidents", {**body, "impact": "minor"})
    assert response.status_code == 422, response.content
    assert "title" in field_errors(response)
    assert f"U+{ord(char):04X}" in field_errors(response)["title"]
    assert not Incident.objects.exists()


def test_it_refuses_a_lone_surrogate(api, page):
    # A JSON escape is the only way to send one: it is no UTF-8.
    raw = json.dumps({"page_id": page.code, "title": "ok", "status": "investigating",
                      "impact": "minor", "message": "x \\ud800 y"})  # fmt: skip
    response = api.post("/incidents", raw.replace("\\\\ud800", "\\ud800"))
    assert response.status_code == 422, response.content
    assert "surrogate" in field_errors(response)["message"]
    assert not Incident.objects.exists()


def test_it_keeps_tabs_and_newlines(api, page):
    body = {"page_id": page.code, "title": "a\tb", "status": "investigating", "impact": "minor"}
    response = api.post("/incidents", {**body, "message": "line one\r\nline two\n\tindented"})
    assert response.status_code == 201, response.content
    assert response.json()["updates"][0]["message"] == "line one\r\nline two\n\tindented"


def test_every_object_a_page_shows_refuses_control_characters(api, page, api_component):
    incident = create_incident(page=page, title="Errors")
    bad = f"x{ESC}y"
    attempts = [
        ("PATCH", f"/pages/{page.code}", {"name": bad}, "name"),
        ("PATCH", f"/pages/{page.code}", {"description": bad}, "description"),
        ("POST", f"/pages/{page.code}/components", {"name": bad}, "name"),
        ("PATCH", f"/components/{api_component.code}", {"description": bad}, "description"),
        ("POST", f"/pages/{page.code}/component-groups", {"name": bad}, "name"),
        ("PATCH", f"/incidents/{incident.code}", {"title": bad}, "title"),
        (
            "POST",
            f"/incidents/{incident.code}/updates",
            {"status": "identified", "message": bad},
            "message",
        ),
        ("PUT", f"/incidents/{incident.code}/postmortem", {"summary": bad}, "summary"),
        (
            "POST",
            "/maintenances",
            {
                "page_id": page.code,
                "title": bad,
                "starts_at": "2030-01-01T10:00:00Z",
                "ends_at": "2030-01-01T11:00:00Z",
            },
            "title",
        ),
        ("POST", "/match", {"text": bad}, "text"),
        (
            "POST",
            f"/incidents/{incident.code}/conversations",
            {"source": "zendesk", "external_id": "1", "customer": bad},
            "customer",
        ),
        ("POST", "/teams", {"name": bad}, "name"),
        (
            "POST",
            f"/pages/{page.code}/subscribers",
            {"channel": "email", "address": bad},
            "address",
        ),  # fmt: skip
    ]
    for method, path, body, field in attempts:
        response = api.call(method, path, body)
        assert response.status_code == 422, (path, response.content)
        assert field in field_errors(response), (path, response.content)
    page.refresh_from_db()
    assert page.name == "Acme Status" or ESC not in page.name
    assert not Component.objects.filter(name__contains=ESC).exists()
    assert not Maintenance.objects.exists()
    assert ESC not in Incident.objects.get().title
    assert not StatusPage.objects.filter(description__contains=ESC).exists()


def _subclasses(cls: type) -> typing.Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _checked(annotation: object) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        metadata = annotation.__metadata__  # type: ignore[attr-defined]
        if any(getattr(m, "func", None) is _storable for m in metadata):
            return True
    return any(_checked(arg) for arg in typing.get_args(annotation))


def _holds_text(annotation: object) -> bool:
    return annotation is str or any(_holds_text(a) for a in typing.get_args(annotation))


# Checked by their service instead, with the field's name (monitors also come from YAML files).
CHECKED_BY_SERVICE = {"MonitorIn", "MonitorPatch"}


def test_every_text_field_of_every_request_schema_checks_the_rule():
    assert ninja_api.urls  # every router (and its schemas) is imported
    unchecked = [
        f"{cls.__name__}.{name}"
        for cls in set(_subclasses(InSchema))
        if cls.__name__ not in CHECKED_BY_SERVICE
        for name, field in cls.model_fields.items()
        if _holds_text(field.annotation)
        and not _checked(field.annotation)
        and not any(getattr(m, "func", None) is _storable for m in field.metadata)
    ]
    assert unchecked == []
