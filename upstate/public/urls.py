from django.urls import path

from upstate.public import views

app_name = "public"
urlpatterns = [
    path("p/<slug:slug>/", views.page_document, name="page"),
    path("p/<slug:slug>/<path:rest>", views.page_document, name="document"),
    # Custom domains: the page is found by the Host header; last, so it never shadows the rest.
    path("", views.domain_document, name="domain-root"),
    path("<path:rest>", views.domain_document, name="domain-document"),
]
