from django.urls import include, path

from upstate.api.root import api
from upstate.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("dashboard/", include("upstate.dashboard.urls")),
    path("", include("upstate.public.urls")),
]
