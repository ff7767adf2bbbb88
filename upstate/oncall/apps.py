from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "upstate.oncall"
    default_auto_field = "django.db.models.BigAutoField"
