"""Dashboard URLs of on-call and response targets, mounted under /dashboard/<org_slug>/ in the
"dashboard" namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.oncall import views

urlpatterns = [
    path("oncall/", views.oncall_list, name="oncall"),
    path("oncall/teams/<str:code>/", views.team_oncall, name="oncall-team"),
    path("oncall/teams/<str:code>/rotation/", views.rotation_set, name="oncall-rotation"),
    path(
        "oncall/teams/<str:code>/rotation/delete/",
        views.rotation_delete,
        name="oncall-rotation-delete",
    ),
    path("oncall/teams/<str:code>/overrides/", views.override_add, name="oncall-override-add"),
    path(
        "oncall/teams/<str:code>/overrides/<str:override>/delete/",
        views.override_delete,
        name="oncall-override-delete",
    ),
    path("response-targets/", views.response_targets, name="response-targets"),
]
