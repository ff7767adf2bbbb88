from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "upstate.maintenance"
    label = "maintenance"
