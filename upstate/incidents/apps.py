from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "upstate.incidents"
    label = "incidents"
