"""What the dashboard layout needs on every screen: switchers and navigation."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from upstate.orgs.models import Membership
from upstate.pages.models import StatusPage

# (label, URL name in the "dashboard" namespace, needs a page, level needed to see it)
NAV = [
    ("Overview", "overview", False, "read"),
    ("Incidents", "incident-list", False, "read"),
    ("On call", "oncall", False, "read"),
    ("Tasks", "task-list", False, "read"),
    ("Maintenance", "maintenance-list", False, "read"),
    ("Templates", "template-list", False, "read"),
    ("Monitors", "monitor-list", False, "read"),
    ("Components", "component-list", True, "manage"),
    ("Page settings", "page-settings", True, "manage"),
    ("Embed", "page-embed", True, "read"),
    ("Subscribers", "subscriber-list", True, "respond"),
    ("Postmortem template", "postmortem-template", False, "manage"),
    ("Members", "member-list", False, "manage"),
    ("API keys", "apikey-list", False, "manage"),
    ("Audit log", "audit-log", False, "manage"),
    ("Notification providers", "provider-settings", False, "manage"),
    ("Paging", "paging-settings", False, "manage"),
    ("Response targets", "response-targets", False, "manage"),
    ("Profile", "profile", False, "read"),
]
# Nineteen items do not fit one line even at 1280 px: the screens of the current status page
# and the set-up screens one visits rarely sit in two menus (<details>, no script needed) after
# the everyday screens.
PAGE_MENU = "Status page"
SETTINGS_MENU = "Settings"
SETTINGS_ITEMS = {
    "postmortem-template",
    "member-list",
    "apikey-list",
    "audit-log",
    "provider-settings",
    "paging-settings",
    "response-targets",
    "profile",
}


def current_page(request: HttpRequest, pages: list[StatusPage]) -> StatusPage | None:
    """The page named in the URL, else the one chosen in the switcher, else the first."""
    from upstate.dashboard.views import SESSION_PAGE

    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    wanted = kwargs.get("page_slug") or request.GET.get("page") or ""
    member = request.member  # type: ignore[attr-defined]
    wanted = wanted or request.session.get(SESSION_PAGE.format(org=member.org.id), "")
    by_slug = {p.slug: p for p in pages}
    return by_slug.get(wanted) or (pages[0] if pages else None)


def _nav(request: HttpRequest, page: StatusPage | None) -> list[dict[str, object]]:
    member = request.member  # type: ignore[attr-defined]
    items = []
    path = request.path
    for label, name, needs_page, level in NAV:
        if not member.allows(level) or (needs_page and page is None):
            continue
        kwargs = {"org_slug": member.org.slug}
        if needs_page:
            kwargs["page_slug"] = page.slug
        try:
            url = reverse(f"dashboard:{name}", kwargs=kwargs)
        except NoReverseMatch:  # a screen that is not built yet
            continue
        overview = name == "overview"
        active = path == url if overview else path.startswith(url)
        menu = SETTINGS_MENU if name in SETTINGS_ITEMS else PAGE_MENU if needs_page else ""
        items.append({"label": label, "url": url, "active": active, "menu": menu})
    return items


def nav_menus(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """The grouped items as menus for the navigation bar, in order, empty ones left out."""
    menus = []
    for label in (PAGE_MENU, SETTINGS_MENU):
        grouped = [item for item in items if item["menu"] == label]
        if grouped:
            active = any(item["active"] for item in grouped)
            menus.append({"label": label, "items": grouped, "active": active})
    return menus


def layout(request: HttpRequest) -> dict[str, object]:
    """`dash` in templates: org and page switchers and the navigation, once a view has
    called `access.member_context` (directly or through `get_for_member`)."""
    member = getattr(request, "member", None)
    if member is None:
        return {}
    memberships = (
        Membership.objects.filter(user=request.user).select_related("org").order_by("org__name")
    )
    pages = list(StatusPage.objects.filter(org=member.org).order_by("name"))
    page = current_page(request, pages)
    nav = _nav(request, page)
    return {
        "dash": {
            "member": member,
            "org": member.org,
            "orgs": [m.org for m in memberships],
            "pages": pages,
            "page": page,
            "nav": nav,
            "nav_main": [item for item in nav if not item["menu"]],
            "nav_menus": nav_menus(nav),
        }
    }
