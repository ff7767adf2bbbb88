"""Dashboard URLs of this app, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py). Members are picked by email in the form body:
memberships have no public code and URLs never carry primary keys."""

from django.urls import path

from upstate.orgs import views

urlpatterns = [
    path("members/", views.member_list, name="member-list"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path("members/role/", views.member_role, name="member-role"),
    path("members/remove/", views.member_remove, name="member-remove"),
    path("api-keys/", views.apikey_list, name="apikey-list"),
    path("api-keys/new/", views.apikey_create, name="apikey-create"),
    path("api-keys/<str:code>/revoke/", views.apikey_revoke, name="apikey-revoke"),
]
