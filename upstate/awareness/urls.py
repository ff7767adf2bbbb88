"""Dashboard URLs of incident awareness, mounted under /dashboard/<org_slug>/."""

from django.urls import path

from upstate.awareness import views

urlpatterns = [
    path(
        "incidents/<str:code>/conversations/",
        views.incident_conversations,
        name="incident-conversations",
    ),
    path(
        "incidents/<str:code>/conversations/<str:conversation>/link/",
        views.link_conversation,
        name="incident-conversation-link",
    ),
]
