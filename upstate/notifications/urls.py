"""Dashboard URLs of the delivery log, mounted under /dashboard/<org_slug>/ in the
"dashboard" namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.notifications import previews, views

urlpatterns = [
    path(
        "incidents/<str:code>/deliveries/",
        views.incident_deliveries,
        name="incident-deliveries",
    ),
    path("providers/", views.provider_settings, name="provider-settings"),
]

urlpatterns += [
    path(
        "pages/<slug:page_slug>/notifications/preview/",
        previews.notification_preview,
        name="notification-preview",
    ),
]
