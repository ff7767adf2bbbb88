"""Dashboard URLs of tasks, mounted under /dashboard/<org_slug>/ in the "dashboard" namespace
(see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.tasks import views

urlpatterns = [
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<str:code>/", views.task_change, name="task-change"),
]
