"""Dashboard URLs of this app, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.maintenance import views

urlpatterns = [
    path("maintenance/", views.maintenance_list, name="maintenance-list"),
    path("maintenance/new/", views.maintenance_create, name="maintenance-create"),
    path("maintenance/<str:code>/", views.maintenance_detail, name="maintenance-detail"),
    path("maintenance/<str:code>/edit/", views.maintenance_edit, name="maintenance-edit"),
    path("maintenance/<str:code>/update/", views.maintenance_update, name="maintenance-update"),
    path("maintenance/<str:code>/delete/", views.maintenance_delete, name="maintenance-delete"),
]
