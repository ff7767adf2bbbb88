"""Markdown to safe HTML: everything user-written goes through `render`."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as md
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

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

# A bare http(s) URL in running text. It stops at whitespace, quotes and angle brackets; the
# processor gives back the punctuation a sentence puts after a URL (see `_trim`).
BARE_URL = r"\bhttps?://[^\s<>\"'`]+"
_TRAILING = ".,:;!?*_~"
# Kept on a link for which every page shows (nh3 sets it on every <a>): nofollow so that an
# update cannot lend the page's rank, noopener/noreferrer so the target gets no handle on it.
LINK_REL = "noopener noreferrer nofollow"


def _trim(url: str) -> str:
    """The URL without what most likely belongs to the sentence around it: trailing
    punctuation, and a closing parenthesis that has no opening one inside the URL."""
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


class _BareUrl(InlineProcessor):
    """Turns a bare URL into a link. Python-Markdown links only `<https://...>`; a plugin such
    as pymdownx.magiclink would add a dependency and also link e-mail addresses and "www."
    names, while updates only need http and https."""

    def handleMatch(self, m: re.Match, data: str) -> tuple[etree.Element, int, int]:  # noqa: N802
        url = _trim(m.group(0))
        link = etree.Element("a", {"href": url})
        link.text = AtomicString(url)  # not parsed again (it would link itself twice)
        return link, m.start(0), m.start(0) + len(url)


class _BareUrls(md.Extension):
    def extendMarkdown(self, converter: md.Markdown) -> None:  # noqa: N802
        # Below links and autolinks (priority 160-120) so `[text](url)` and `<url>` win, and
        # above emphasis so a "_" in a URL stays part of it.
        converter.inlinePatterns.register(_BareUrl(BARE_URL, converter), "bare_url", 105)


def _converter() -> md.Markdown:
    # Building a Markdown instance costs more than converting a typical update; keep one per
    # thread (instances are not thread-safe) and reset it between documents.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(
            extensions=["fenced_code", "tables", "sane_lists", _BareUrls()]
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
        link_rel=LINK_REL,
    )


def to_text(text: str) -> str:
    """Plain text of the rendered Markdown, for feeds and notifications."""
    return nh3.clean(md.markdown(text or ""), tags=set()).strip()
