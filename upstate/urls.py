from django.urls import include, path

from upstate.api.root import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("upstate.public.urls")),
]
