"""Dashboard URLs of paging, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.paging import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("paging/", views.paging_settings, name="paging-settings"),
    path("paging/teams/new/", views.team_create, name="team-create"),
    path("paging/teams/<str:code>/members/", views.team_members, name="team-members"),
    path("paging/teams/<str:code>/delete/", views.team_delete, name="team-delete"),
    path("paging/routes/", views.route_set, name="paging-route"),
]
