"""Embeddable views of a page (iframe view, SVG badges), built into the snapshot."""

from __future__ import annotations

from upstate.pages.models import StatusPage


def documents(page: StatusPage) -> dict[str, bytes]:
    """Snapshot path (e.g. ``badge.svg``) -> bytes."""
    return {}
