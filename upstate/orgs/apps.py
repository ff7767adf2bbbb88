from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "upstate.orgs"
    label = "orgs"
