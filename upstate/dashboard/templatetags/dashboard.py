"""Template helpers shared by the dashboard's screens: `{% load dashboard %}`."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from upstate.lib.markdown import render

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """User-written Markdown as the public page shows it (sanitised by lib.markdown)."""
    return mark_safe(render(text))  # noqa: S308 - render() cleans with nh3
