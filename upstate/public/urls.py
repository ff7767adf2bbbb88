from django.urls import path

from upstate.public import views

app_name = "public"
urlpatterns = [
    path("widget.js", views.widget_js, name="widget"),
    path("p/<slug:slug>/", views.page_document, name="page"),
    # Badges the snapshot holds no variant of (a custom ?label=) are rendered from its data.
    path("p/<slug:slug>/badge.svg", views.page_badge, name="badge"),
    path("p/<slug:slug>/components/<str:code>/badge.svg", views.page_badge, name="badge"),
    path("p/<slug:slug>/<path:rest>", views.page_document, name="document"),
    # Custom domains: the page is found by the Host header; last, so it never shadows the rest.
    path("", views.domain_document, name="domain-root"),
    path("badge.svg", views.domain_badge, name="domain-badge"),
    path("components/<str:code>/badge.svg", views.domain_badge, name="domain-badge"),
    path("<path:rest>", views.domain_document, name="domain-document"),
]
