from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "upstate.dashboard"
    label = "dashboard"
