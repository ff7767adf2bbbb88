"""Every public document of a page, built and parsed back as its type says."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from icalendar import Calendar

from upstate.lib import text
from upstate.pages.models import StatusPage
from upstate.public.snapshot import build_snapshot


def check_document(path: str, content_type: str, body: bytes) -> None:
    """Raises when ``body`` does not parse as ``content_type`` or holds refused characters."""
    decoded = body.decode("utf-8")
    assert text.problem(decoded) is None, f"{path} holds a refused character"
    if content_type.startswith("application/json"):
        json.loads(decoded)
    elif "xml" in content_type:  # RSS, Atom, SVG
        ET.fromstring(body)
    elif content_type.startswith("text/calendar"):
        Calendar.from_ical(decoded)


def build_and_parse(page: StatusPage) -> dict[str, str]:
    """Build the page's snapshot; path -> content type of every document, all parsed."""
    snapshot = build_snapshot(page)
    for path, document in snapshot.documents.items():
        check_document(path, document.content_type, document.body)
    return {path: document.content_type for path, document in snapshot.documents.items()}
