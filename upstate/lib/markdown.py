"""Markdown to safe HTML: everything user-written goes through `render`."""

from __future__ import annotations

import threading
from functools import lru_cache

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


_local = threading.local()


def _converter() -> md.Markdown:
    # Building a Markdown instance costs more than converting a typical update; keep one per
    # thread (instances are not thread-safe) and reset it between documents.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(
            extensions=["fenced_code", "tables", "sane_lists"]
        )
    return converter.reset()


# Every snapshot build renders the page's whole history again; messages rarely change.
@lru_cache(maxsize=8192)
def render(text: str) -> str:
    html = _converter().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def to_text(text: str) -> str:
    """Plain text of the rendered Markdown, for feeds and notifications."""
    return nh3.clean(md.markdown(text or ""), tags=set()).strip()
