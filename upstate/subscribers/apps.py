from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "upstate.subscribers"
    default_auto_field = "django.db.models.BigAutoField"
