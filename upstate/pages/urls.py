"""Dashboard URLs of this app, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.pages import embed_views, views

P = "pages/<slug:page_slug>/"

urlpatterns = [
    path("pages/new/", views.page_create, name="page-create"),
    path(f"{P}settings/", views.page_settings, name="page-settings"),
    path(f"{P}settings/domain-check/", views.page_domain_check, name="page-domain-check"),
    path(f"{P}components/", views.component_list, name="component-list"),
    path(f"{P}components/new/", views.component_create, name="component-create"),
    path(f"{P}components/<str:code>/edit/", views.component_edit, name="component-edit"),
    path(
        f"{P}components/<str:code>/move/<str:direction>/",
        views.component_move,
        name="component-move",
    ),
    path(f"{P}components/<str:code>/delete/", views.component_delete, name="component-delete"),
    path(f"{P}groups/new/", views.group_create, name="group-create"),
    path(f"{P}groups/<str:code>/edit/", views.group_edit, name="group-edit"),
    path(f"{P}groups/<str:code>/delete/", views.group_delete, name="group-delete"),
    path(f"{P}embed/", embed_views.page_embed, name="page-embed"),
]
