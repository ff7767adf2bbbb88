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
