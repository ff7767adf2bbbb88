from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "upstate.pages"
    label = "pages"
