"""Dashboard "Embed" screen of a page: copy-paste snippets for the script widget, the in-product
banner, the iframe view, the badges and Statuspage's web component, each with a live preview."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from upstate.dashboard.access import get_for_member
from upstate.dashboard.formtext import AcceptedText
from upstate.lib.badges import STYLES
from upstate.pages.models import Component, ComponentGroup, StatusPage
from upstate.public.links import page_url

POSITIONS = [
    ("bottom-right", "Bottom right"),
    ("bottom-left", "Bottom left"),
    ("top-right", "Top right"),
    ("top-left", "Top left"),
]
THEMES = [("auto", "Follow the visitor's system"), ("light", "Light"), ("dark", "Dark")]


class EmbedOptionsForm(AcceptedText, forms.Form):
    position = forms.ChoiceField(choices=POSITIONS, required=False)
    theme = forms.ChoiceField(choices=THEMES, required=False)
    compact = forms.BooleanField(required=False)
    components = forms.MultipleChoiceField(choices=[], required=False)
    style = forms.ChoiceField(choices=[(s, s) for s in STYLES], required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["components"].choices = choices


@dataclass(frozen=True)
class Badge:
    name: str
    path: str  # relative to the page root


def _attrs(**values: str | None) -> str:
    return "".join(f' data-{k}="{escape(v)}"' for k, v in values.items() if v)


def snippets(page: StatusPage, options: dict[str, Any]) -> dict[str, str]:
    """The HTML and Markdown to paste, for the options chosen on the screen."""
    root = page_url(page)
    if page.verified_domain:
        script_src, slug = f"{root}/widget.js", None
    else:
        script_src, slug = f"{settings.PUBLIC_URL}/widget.js", page.slug
    theme = options.get("theme") or "auto"
    position = options.get("position") or "bottom-right"
    widget = _attrs(
        page=slug,
        position=None if position == "bottom-right" else position,
        theme=None if theme == "auto" else theme,
        compact="" if not options.get("compact") else "true",
    )
    banner = _attrs(
        page=slug,
        mode="banner",
        components=",".join(options.get("components") or []),
        theme=None if theme == "auto" else theme,
    )
    style = options.get("style") or "flat"
    query = "" if style == "flat" else f"?style={style}"
    name = escape(page.name)
    embed = f"{root}/embed" + ("" if theme == "auto" else f"?theme={theme}")
    return {
        "widget": f'<script src="{script_src}"{widget} async></script>',
        "inline": f'<span id="status"></span>\n<script src="{script_src}"{widget}'
        ' data-target="#status" async></script>',
        "banner": f'<script src="{script_src}"{banner} async></script>',
        "iframe": f'<iframe src="{embed}" title="{name} status" width="100%" height="320"'
        ' style="border:0" loading="lazy"></iframe>',
        "badge_markdown": f"[![{page.name} status]({root}/badge.svg{query})]({root}/)",
        "badge_html": f'<a href="{root}/"><img src="{root}/badge.svg{query}"'
        f' alt="{name} status"></a>',
        "statuspage": '<script src="https://unpkg.com/@statuspage/status-widget/dist/index.js">'
        f'</script>\n<statuspage-widget src="{root}"></statuspage-widget>',
        "badge_query": query,
    }


def _choices(page: StatusPage) -> list[tuple[str, str]]:
    groups = [(g.code, f"{g.name} (group)") for g in ComponentGroup.objects.filter(page=page)]
    components = Component.objects.filter(page=page).select_related("group")
    return groups + [(c.code, c.display_name) for c in components.order_by("position", "id")]


@login_required
def page_embed(request: HttpRequest, org_slug: str, page_slug: str) -> HttpResponse:
    page, _ = get_for_member(
        request, StatusPage, org_slug=org_slug, require="read", write="manage", slug=page_slug
    )
    choices = _choices(page)
    form = EmbedOptionsForm(request.GET or None, choices=choices)
    options = form.cleaned_data if form.is_valid() else {}
    chosen = options.get("components") or []
    context = {
        "page": page,
        "form": form,
        "options": options,
        "snippets": snippets(page, options),
        "public_root": f"/p/{page.slug}",
        "chosen_names": [label for code, label in choices if code in chosen],
        "badges": [Badge(page.name, "badge.svg")]
        + [Badge(label, f"components/{code}/badge.svg") for code, label in choices],
    }
    return render(request, "pages/embed.html", context, status=400 if form.errors else 200)
