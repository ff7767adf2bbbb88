from django.urls import include, path

from upstate.api.root import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("dashboard/", include("upstate.dashboard.urls")),
    path("", include("upstate.public.urls")),
]
