"""Dashboard URLs of this app, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.monitors import views

urlpatterns = [
    path("monitors/", views.monitor_list, name="monitor-list"),
    path("monitors/new/", views.monitor_create, name="monitor-create"),
    path("monitors/test/", views.monitor_test_unsaved, name="monitor-test-unsaved"),
    path("monitors/<str:code>/", views.monitor_detail, name="monitor-detail"),
    path("monitors/<str:code>/edit/", views.monitor_edit, name="monitor-edit"),
    path("monitors/<str:code>/test/", views.monitor_test, name="monitor-test"),
    path("monitors/<str:code>/delete/", views.monitor_delete, name="monitor-delete"),
]
