from __future__ import annotations

from upstate.lib.markdown import render, to_text


def test_it_renders_markdown():
    assert render("**down** since 10:00") == "<p><strong>down</strong> since 10:00</p>"


def test_it_strips_scripts_and_event_handlers():
    html = render('<script>alert(1)</script><img src=x onerror="alert(2)"> ok')
    assert "<script" not in html
    assert "onerror" not in html
    assert "ok" in html


def test_it_drops_javascript_links():
    html = render("[click](javascript:alert(1))")
    assert "javascript:" not in html


def test_it_marks_links_nofollow():
    assert 'rel="noopener noreferrer nofollow"' in render("[docs](https://example.com)")


def test_to_text_drops_markup():
    assert to_text("**Fixed** in [v2](https://example.com)") == "Fixed in v2"


def test_it_links_a_bare_url_nofollow():
    html = render("Status at https://status.example.com/incidents/42 for details.")
    assert (
        '<a href="https://status.example.com/incidents/42" rel="noopener noreferrer nofollow">'
        "https://status.example.com/incidents/42</a> for details." in html
    )


def test_it_leaves_the_punctuation_around_a_bare_url_outside_the_link():
    html = render("(see https://example.com/a_b), then **https://example.com/x**!")
    assert 'href="https://example.com/a_b"' in html
    assert 'href="https://example.com/x"' in html
    assert html.count("<a ") == 2


def test_it_links_only_http_and_https():
    html = render("ftp://files.example.com and javascript:alert(1) and data:text/html,x")
    assert "<a " not in html


def test_it_keeps_written_links_and_code_as_they_are():
    html = render("[docs](https://example.com/docs) and `https://example.com/code`")
    assert html.count("<a ") == 1
    assert "<code>https://example.com/code</code>" in html
