from django.apps import AppConfig


class PagingConfig(AppConfig):
    name = "upstate.paging"
    default_auto_field = "django.db.models.BigAutoField"
