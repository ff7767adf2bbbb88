"""The embeds builder (widget data, iframe view, badges) and the badge view for custom labels."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from upstate.incidents.services import create_incident, post_update
from upstate.lib.badges import LABEL_MAX, STYLES
from upstate.pages.services import update_page
from upstate.public.embeds import documents
from upstate.public.publish import rebuild_now
from upstate.public.snapshot import NO_FRAMING, build_snapshot
from upstate.public.tests.scene import build_scene

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def scene(page):
    return build_scene(page)


def _svg(body: bytes) -> tuple[str, list[str], ET.Element]:
    """The badge's <title> and its visible texts (each once; shadows left out)."""
    root = ET.fromstring(body)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    texts = [t.text for t in root.iter(f"{SVG}text") if t.get("fill-opacity") is None]
    return title, texts, root


def test_widget_data_lists_what_is_wrong_worst_first(scene):
    worse = create_incident(
        page=scene.page, title="Checkout down", impact="critical", components={scene.website: None}
    )

    data = json.loads(documents(scene.page)["widget.json"])

    assert data["page"] == {"id": scene.page.code, "name": "Acme Status", "accent": "#2563eb"}
    assert data["status"] == {"indicator": "major", "description": "Partial System Outage"}
    notices = [(n["name"], n["status"], n["indicator"]) for n in data["notices"]]
    assert notices == [
        ("Checkout down", "Investigating", "critical"),
        ("Elevated API errors", "Monitoring", "minor"),
        ("Cache upgrade", "In progress", "maintenance"),
    ]
    assert data["notices"][0]["path"] == f"incidents/{worse.code}"
    assert data["notices"][2]["path"] == f"maintenances/{scene.underway.code}"
    # A notice names its components' groups too, so a banner can follow a whole group.
    assert data["notices"][2]["components"] == [scene.cache.code, scene.infrastructure.code]
    cache = data["components"][scene.cache.code]
    assert cache == {
        "name": "Cache",
        "status": "under_maintenance",
        "label": "Under maintenance",
        "indicator": "maintenance",
        "group": scene.infrastructure.code,
    }
    assert data["components"][scene.infrastructure.code]["status"] == "under_maintenance"


def test_widget_data_leaves_out_internal_and_resolved_incidents(scene):
    post_update(incident=scene.active, status="resolved", message="Fixed.")

    data = json.loads(documents(scene.page)["widget.json"])

    assert [n["name"] for n in data["notices"]] == ["Cache upgrade"]
    assert "Internal disk alarm" not in json.dumps(data)


def test_badges_are_valid_svg_with_the_status_in_words(scene):
    built = documents(scene.page)

    title, texts, root = _svg(built["badge.svg"])
    assert title == "Acme Status: Minor Service Outage"
    assert texts == ["status", "minor service outage"]
    assert root.get("aria-label") == title
    title, texts, _ = _svg(built[f"components/{scene.api.code}/badge.svg"])
    assert texts == ["API", "partial outage"]
    assert title == "Acme Status, API: Partial outage"
    _, texts, _ = _svg(built[f"components/{scene.website.code}/badge.svg"])
    assert texts == ["Website", "operational"]


@pytest.mark.parametrize("style", STYLES)
def test_each_badge_comes_in_every_style(scene, style):
    built = documents(scene.page)

    for prefix in ("", f"components/{scene.cache.code}/"):
        _, texts, root = _svg(built[f"{prefix}badge.svg?style={style}"])
        assert int(root.get("height")) == (28 if style == "for-the-badge" else 20)
        if style == "for-the-badge":
            assert texts[-1] == texts[-1].upper()


def test_the_operational_page_badge_is_green(page):
    body = documents(page)["badge.svg"]

    _, texts, _ = _svg(body)
    assert texts == ["status", "operational"]
    assert b'fill="#2da44e"' in body


def test_the_embed_shows_the_status_without_a_script(scene):
    update_page(page=scene.page, accent_color="#ff6600")
    built = documents(scene.page)
    html = built["embed"].decode()

    assert "<script" not in html
    assert '<base target="_blank">' in html
    assert 'id="overall"' in html and "Minor Service Outage" in html
    assert "Elevated API errors" in html and "Cache upgrade" in html
    assert f'href="./incidents/{scene.active.code}"' in html
    assert "Infrastructure" in html and "Internal disk alarm" not in html
    assert "--accent: #ff6600" in html
    assert "prefers-color-scheme: dark" in html
    assert 'class="dark"' in built["embed?theme=dark"].decode()
    assert 'class="light"' in built["embed?theme=light"].decode()


def test_only_the_embed_may_be_framed(scene):
    snapshot = build_snapshot(scene.page)

    assert snapshot.documents["embed"].headers == ()
    assert snapshot.documents["embed?theme=dark"].headers == ()
    assert snapshot.documents[""].headers == NO_FRAMING
    assert snapshot.documents["history"].headers == NO_FRAMING
    assert snapshot.documents["badge.svg"].headers == ()
    assert snapshot.documents["badge.svg?style=flat"].content_type == "image/svg+xml"


# --- The badge view: custom labels, from the snapshot, without a query -----------------------


def test_a_custom_label_is_rendered_without_a_query(client, scene, django_assert_num_queries):
    rebuild_now(scene.page.id)

    with django_assert_num_queries(0):
        response = client.get(
            f"/p/acme/components/{scene.api.code}/badge.svg?label=Our+API&style=flat-square"
        )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Access-Control-Allow-Origin"] == "*"
    _, texts, root = _svg(response.content)
    assert texts == ["Our API", "partial outage"]
    assert root.find(f"{SVG}linearGradient") is None  # flat-square has no gloss
    again = client.get(
        f"/p/acme/components/{scene.api.code}/badge.svg?label=Our+API&style=flat-square",
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert again.status_code == 304


def test_a_label_is_escaped_and_limited(client, scene):
    rebuild_now(scene.page.id)
    label = '<script>alert("x")</script>&' + "a" * 100

    response = client.get("/p/acme/badge.svg", {"label": label})

    assert response.status_code == 200
    assert b"<script>" not in response.content
    _, texts, _ = _svg(response.content)
    assert texts[0] == label[:LABEL_MAX]
    assert texts[1] == "minor service outage"


def test_an_empty_label_leaves_the_message_alone(client, scene):
    rebuild_now(scene.page.id)

    response = client.get("/p/acme/badge.svg?label=")

    assert _svg(response.content)[1] == ["minor service outage"]


def test_an_unknown_component_badge_is_404(client, scene):
    rebuild_now(scene.page.id)

    assert client.get("/p/acme/components/nope/badge.svg?label=x").status_code == 404
    assert client.get("/p/nobody/badge.svg?label=x").status_code == 404


def test_a_custom_domain_badge_takes_a_label(client, scene, prove_domain):
    update_page(page=scene.page, custom_domain="status.acme.test")
    prove_domain(scene.page)
    rebuild_now(scene.page.id)

    response = client.get("/badge.svg?label=Acme", HTTP_HOST="status.acme.test")

    assert _svg(response.content)[1] == ["Acme", "minor service outage"]


def test_a_private_page_badge_is_for_members_only(client, scene, owner, outsider):
    update_page(page=scene.page, private=True)
    rebuild_now(scene.page.id)
    path = "/p/acme/badge.svg?label=Acme"

    assert client.get(path).status_code == 302  # to sign in
    client.force_login(outsider.user)
    assert client.get(path).status_code == 404
    client.force_login(owner.user)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert _svg(response.content)[1] == ["Acme", "minor service outage"]


def test_the_embed_of_a_private_page_is_framable_for_members(client, scene, owner):
    update_page(page=scene.page, private=True)
    client.force_login(owner.user)

    embed = client.get("/p/acme/embed")
    status = client.get("/p/acme/")

    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert status["X-Frame-Options"] == "DENY"


def test_the_dashboard_may_not_be_framed(client, owner, page):
    client.force_login(owner.user)

    response = client.get("/dashboard/acme/pages/acme/embed/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_the_widget_script_is_served_without_the_fast_path(client):
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert client.get("/widget.js", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
