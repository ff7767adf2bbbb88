"""Fuzzing every text field of what a page shows, through the API: control characters, lone
surrogates, 25,001 characters, right-to-left text and emoji. Whatever is accepted, every
public document of the page still builds and parses; whatever is refused is a 4xx naming the
field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from upstate.api.tests.helpers import Api
from upstate.incidents.services import create_incident, publish_postmortem, save_postmortem
from upstate.maintenance.services import schedule_maintenance
from upstate.pages.services import create_component, create_group
from upstate.public.tests.documents import build_and_parse

PIECES = ["\x1b", "\x0c", "\x0b", "\x00", "\x7f", "\x85", "\ud800", "\udfff", "\ufffe",
          "שלום", "مرحبا بالعالم", "\u202e", "\u200f", "🚀", "👩\u200d💻", "a", " ", "\n", "\t",
          "\r\n", "<b>x</b>", "&amp;", "]]>", "*md* `code`", "'\""]  # fmt: skip

TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join),
    st.text(max_size=40),
    st.just("x" * 25_001),
    st.just("😀" * 25_001),
)

# (method, path, body fields besides the fuzzed one, the fuzzed field)
FIELDS = [
    ("PATCH", "/pages/{page}", {}, "name"),
    ("PATCH", "/pages/{page}", {}, "description"),
    ("PATCH", "/components/{component}", {}, "name"),
    ("PATCH", "/components/{component}", {}, "description"),
    ("PATCH", "/component-groups/{group}", {}, "name"),
    ("PATCH", "/component-groups/{group}", {}, "description"),
    ("PATCH", "/incidents/{incident}", {}, "title"),
    ("POST", "/incidents/{incident}/updates", {"status": "identified"}, "message"),
    ("PUT", "/incidents/{resolved}/postmortem", {}, "summary"),
    ("PUT", "/incidents/{resolved}/postmortem", {}, "root_cause"),
    ("PATCH", "/maintenances/{maintenance}", {}, "title"),
    ("PATCH", "/maintenances/{maintenance}", {}, "message"),
]


@pytest.fixture
def world(client, owner, page):
    component = create_component(page=page, name="API")
    group = create_group(page=page, name="Core")
    incident = create_incident(page=page, title="Errors", components={component: None})
    resolved = create_incident(page=page, title="Earlier", status="resolved")
    save_postmortem(incident=resolved, summary="A bad deploy")
    publish_postmortem(incident=resolved)  # its text is public: fuzzed fields show there
    now = timezone.now()
    maintenance = schedule_maintenance(
        page=page, title="Upgrade", starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1), components=[component],
    )  # fmt: skip
    ids = {
        "page": page.code,
        "component": component.code,
        "group": group.code,
        "incident": incident.code,
        "resolved": resolved.code,
        "maintenance": maintenance.code,
    }
    return Api(client, owner), page, ids


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=st.sampled_from(FIELDS), value=TEXT)
def test_any_text_is_refused_by_name_or_shown_in_documents_that_parse(world, target, value):
    api, page, ids = world
    method, path, extra, field = target
    response = api.call(method, path.format(**ids), {**extra, field: value})
    if response.status_code >= 400:
        assert response.status_code in (400, 422), response.content
        named = {e["field"] for e in response.json()["errors"]}
        assert field in named, response.content
    else:
        assert response.status_code in (200, 201), response.content
    page.refresh_from_db()
    build_and_parse(page)
