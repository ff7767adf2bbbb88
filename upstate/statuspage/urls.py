"""Statuspage's management API (v1) under /statuspage/v1/: a client's base URL
`https://api.statuspage.io/v1` becomes `https://<upstate>/statuspage/v1`. Every path also
answers with a `.json` suffix, as Statuspage's own did for older clients."""

from django.urls import re_path

from upstate.statuspage import component_views, incident_views, subscriber_views
from upstate.statuspage.http import unknown

ID = r"[A-Za-z0-9_-]+"
PAGE = rf"pages/(?P<page_id>{ID})"


def _path(pattern: str) -> str:
    return rf"^{pattern}(?:\.json)?/?$"


urlpatterns = [
    re_path(_path("pages"), component_views.pages_view),
    re_path(_path(PAGE), component_views.page_view),
    re_path(_path(f"{PAGE}/components"), component_views.components_view),
    re_path(_path(rf"{PAGE}/components/(?P<component_id>{ID})"), component_views.component_view),
    re_path(_path(f"{PAGE}/component-groups"), component_views.groups_view),
    re_path(_path(rf"{PAGE}/component-groups/(?P<group_id>{ID})"), component_views.group_view),
    re_path(_path(f"{PAGE}/incidents"), incident_views.incidents_view),
    re_path(_path(f"{PAGE}/incidents/unresolved"), incident_views.unresolved_view),
    re_path(_path(f"{PAGE}/incidents/scheduled"), incident_views.scheduled_view),
    re_path(_path(f"{PAGE}/incidents/upcoming"), incident_views.upcoming_view),
    re_path(_path(f"{PAGE}/incidents/active_maintenance"), incident_views.active_maintenance_view),
    re_path(_path(rf"{PAGE}/incidents/(?P<incident_id>{ID})"), incident_views.incident_view),
    re_path(
        _path(rf"{PAGE}/incidents/(?P<incident_id>{ID})/incident_updates/(?P<update_id>{ID})"),
        incident_views.incident_update_view,
    ),
    re_path(
        _path(rf"{PAGE}/incidents/(?P<incident_id>{ID})/postmortem"),
        incident_views.postmortem_view,
    ),
    re_path(
        _path(rf"{PAGE}/incidents/(?P<incident_id>{ID})/postmortem/publish"),
        incident_views.postmortem_publish_view,
    ),
    re_path(
        _path(rf"{PAGE}/incidents/(?P<incident_id>{ID})/postmortem/revert"),
        incident_views.postmortem_revert_view,
    ),
    re_path(_path(f"{PAGE}/subscribers"), subscriber_views.subscribers_view),
    re_path(_path(f"{PAGE}/subscribers/unsubscribe"), subscriber_views.unsubscribe_view),
    re_path(_path(f"{PAGE}/subscribers/resend_confirmation"), subscriber_views.resend_many_view),
    re_path(_path(f"{PAGE}/subscribers/count"), subscriber_views.count_view),
    re_path(
        _path(rf"{PAGE}/subscribers/(?P<subscriber_id>{ID})"), subscriber_views.subscriber_view
    ),
    re_path(
        _path(rf"{PAGE}/subscribers/(?P<subscriber_id>{ID})/resend_confirmation"),
        subscriber_views.resend_one_view,
    ),
    re_path(_path(f"{PAGE}/incident_templates"), subscriber_views.templates_view),
    re_path(r"^(?P<rest>.*)$", unknown),
]
