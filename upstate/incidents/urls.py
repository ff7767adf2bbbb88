"""Dashboard URLs of incidents and postmortems, mounted under /dashboard/<org_slug>/ in the
"dashboard" namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.incidents import postmortem_template_views, template_views, views

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_create, name="incident-create"),
    path("incidents/new/components/", views.incident_component_fields, name="incident-components"),
    path("incidents/preview/", views.update_preview, name="incident-preview"),
    path("incidents/<str:code>/", views.incident_detail, name="incident-detail"),
    path("incidents/<str:code>/edit/", views.incident_edit, name="incident-edit"),
    path("incidents/<str:code>/updates/", views.incident_post_update, name="incident-update"),
    path(
        "incidents/<str:code>/acknowledge/", views.incident_acknowledge, name="incident-acknowledge"
    ),
    path("incidents/<str:code>/take/", views.incident_take_ownership, name="incident-take"),
    path("incidents/<str:code>/resolve/", views.incident_resolve, name="incident-resolve"),
    path("incidents/<str:code>/delete/", views.incident_delete, name="incident-delete"),
    path("incidents/<str:code>/postmortem/", views.postmortem_edit, name="postmortem-edit"),
    path(
        "incidents/<str:code>/postmortem/publish/",
        views.postmortem_publish,
        name="postmortem-publish",
    ),
    path("templates/", template_views.template_list, name="template-list"),
    path("templates/new/", template_views.template_create, name="template-create"),
    path("templates/<str:code>/", template_views.template_edit, name="template-edit"),
    path("templates/<str:code>/delete/", template_views.template_delete, name="template-delete"),
    path(
        "postmortem-template/",
        postmortem_template_views.postmortem_template,
        name="postmortem-template",
    ),
]
