from django.urls import include, path

from upstate.api.errors import unknown_endpoint
from upstate.api.root import api
from upstate.health import healthz
from upstate.metrics.views import metrics
from upstate.monitors.ping import heartbeat, heartbeat_exit, heartbeat_fail, heartbeat_start

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/heartbeat/<str:token>", heartbeat, name="heartbeat"),
    path("api/v1/heartbeat/<str:token>/start", heartbeat_start, name="heartbeat-start"),
    path("api/v1/heartbeat/<str:token>/fail", heartbeat_fail, name="heartbeat-fail"),
    path("api/v1/heartbeat/<str:token>/<int:code>", heartbeat_exit, name="heartbeat-exit"),
    path("api/v1/", api.urls),
    path("api/v1/<path:rest>", unknown_endpoint),
    path("statuspage/v1/", include("upstate.statuspage.urls")),
    path("dashboard/", include("upstate.dashboard.urls")),
    path("", include("upstate.subscribers.public_urls")),
    path("", include("upstate.awareness.public_urls")),
    path("", include("upstate.public.urls")),
]

# Errors outside a view's own handling: JSON under /api/, 503 while the database is away.
handler400 = "upstate.errorpages.bad_request"
handler500 = "upstate.errorpages.server_error"
