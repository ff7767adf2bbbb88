from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "upstate.public"
    label = "public"
