"""The dashboard at /dashboard/. Each app's `urls.py` is mounted under `<org_slug>/` in this
"dashboard" namespace, so its views receive `org_slug` and its URL names must be unique here
(prefix them with the noun: "incident-list", "maintenance-list", ...)."""

from django.urls import include, path

from upstate.dashboard import auth, overview, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        auth.PasswordResetDoneView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth.PasswordResetCompleteView.as_view(),
        name="password-reset-done",
    ),
    path("<slug:org_slug>/", overview.overview, name="overview"),
    path(
        "<slug:org_slug>/switch-page/<slug:page_slug>/",
        views.switch_page,
        name="switch-page",
    ),
    path("<slug:org_slug>/", include("upstate.incidents.urls")),
    path("<slug:org_slug>/", include("upstate.maintenance.urls")),
    path("<slug:org_slug>/", include("upstate.pages.urls")),
    path("<slug:org_slug>/", include("upstate.orgs.urls")),
    path("<slug:org_slug>/", include("upstate.audit.urls")),
    path("<slug:org_slug>/", include("upstate.subscribers.urls")),
    path("<slug:org_slug>/", include("upstate.notifications.urls")),
    path("<slug:org_slug>/", include("upstate.paging.urls")),
    path("<slug:org_slug>/", include("upstate.oncall.urls")),
    path("<slug:org_slug>/", include("upstate.awareness.urls")),
    path("<slug:org_slug>/", include("upstate.monitors.urls")),
    path("<slug:org_slug>/", include("upstate.tasks.urls")),
]
