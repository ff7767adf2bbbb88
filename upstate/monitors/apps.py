from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "upstate.monitors"
    label = "monitors"
