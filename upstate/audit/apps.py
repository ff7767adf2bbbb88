from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "upstate.audit"
    label = "audit"
