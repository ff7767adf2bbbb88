"""Dashboard URLs of subscribers, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.subscribers import dashboard

PREFIX = "pages/<slug:page_slug>/subscribers/"

urlpatterns = [
    path(PREFIX, dashboard.subscriber_list, name="subscriber-list"),
    path(f"{PREFIX}export.csv", dashboard.subscriber_export, name="subscriber-export"),
    path(f"{PREFIX}import/", dashboard.subscriber_import, name="subscriber-import"),
    path(
        f"{PREFIX}import/preview/",
        dashboard.subscriber_import_preview,
        name="subscriber-import-preview",
    ),
    path(
        f"{PREFIX}import/commit/",
        dashboard.subscriber_import_commit,
        name="subscriber-import-commit",
    ),
    path(f"{PREFIX}<str:code>/", dashboard.subscriber_detail, name="subscriber-detail"),
    path(f"{PREFIX}<str:code>/delete/", dashboard.subscriber_delete, name="subscriber-delete"),
]
