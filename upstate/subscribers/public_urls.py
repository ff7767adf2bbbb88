"""Public subscription pages, by slug and at the root of a custom domain; mounted before
upstate.public.urls so its catch-all does not shadow them."""

from django.urls import path

from upstate.subscribers import views

app_name = "subscribers"

_ROUTES = [
    ("subscribe", views.subscribe, "subscribe"),
    ("subscribe/confirm/<str:token>", views.confirm, "confirm"),
    ("subscription/<str:token>", views.manage, "manage"),
    ("unsubscribe/<str:token>", views.unsubscribe, "unsubscribe"),
]

urlpatterns = [path(f"p/<slug:slug>/{route}", view, name=name) for route, view, name in _ROUTES]
urlpatterns += [path(route, view, name=f"domain-{name}") for route, view, name in _ROUTES]
