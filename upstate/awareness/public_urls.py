"""The public page's "Having trouble?" form, by slug and at the root of a custom domain;
mounted before upstate.public.urls so its catch-all does not shadow it."""

from django.urls import path

from upstate.awareness import public_views

app_name = "awareness"

urlpatterns = [
    path("p/<slug:slug>/trouble", public_views.trouble, name="trouble"),
    path("trouble", public_views.trouble, name="domain-trouble"),
]
