"""The dashboard's Embed screen: snippets for every embed, with previews."""

from __future__ import annotations

import pytest

from upstate.pages.services import update_page

URL = "/dashboard/acme/pages/acme/embed/"


def _as(client, persona):  # noqa: ANN001, ANN202
    client.force_login(persona.user)
    return client


def test_any_member_gets_every_snippet(client, viewer, page, api_component, settings):
    settings.PUBLIC_URL = "https://upstate.example.net"

    response = _as(client, viewer).get(URL)

    html = response.content.decode()
    assert response.status_code == 200
    script = "https://upstate.example.net/widget.js&quot; data-page=&quot;acme&quot; async&gt;"
    assert f"&lt;script src=&quot;{script}&lt;/script&gt;" in html
    assert "data-mode=&quot;banner&quot;" in html
    assert "https://upstate.example.net/p/acme/embed" in html
    assert "[![Acme Status status](https://upstate.example.net/p/acme/badge.svg)]" in html
    assert f'src="/p/acme/components/{api_component.code}/badge.svg"' in html
    assert 'src="/p/acme/embed"' in html  # the iframe preview
    assert '<script src="/widget.js" data-page="acme" data-target="#preview-widget"' in html
    assert ">Embed</a>" in html  # in the navigation
    assert "Set a custom domain" in html


def test_options_change_the_snippets(client, viewer, page, api_component, web_component):
    response = _as(client, viewer).get(
        URL,
        {
            "position": "top-left",
            "theme": "dark",
            "compact": "on",
            "components": [web_component.code],
            "style": "for-the-badge",
        },
    )

    html = response.content.decode()
    assert "data-position=&quot;top-left&quot; data-theme=&quot;dark&quot;" in html
    assert "data-compact=&quot;true&quot;" in html
    assert f"data-components=&quot;{web_component.code}&quot;" in html
    assert "<strong>Website</strong>" in html
    assert "badge.svg?style=for-the-badge" in html
    assert "embed?theme=dark" in html


def test_a_custom_domain_page_gets_short_snippets_and_statuspages_widget(
    client, owner, page, prove_domain
):
    update_page(page=page, custom_domain="status.acme.test")
    prove_domain(page)

    html = _as(client, owner).get(URL).content.decode()

    assert "&lt;script src=&quot;https://status.acme.test/widget.js&quot; async&gt;" in html
    assert "&lt;statuspage-widget src=&quot;https://status.acme.test&quot;&gt;" in html


def test_bad_options_are_a_400_naming_the_field(client, viewer, page):
    response = _as(client, viewer).get(URL, {"position": "middle", "components": ["nope"]})

    assert response.status_code == 400
    assert "position" in response.context["form"].errors
    assert "components" in response.context["form"].errors


@pytest.mark.parametrize("path", [URL, "/dashboard/acme/pages/nope/embed/"])
def test_an_outsider_gets_404(client, outsider, page, path):
    assert _as(client, outsider).get(path).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    assert client.get(URL).status_code == 302
