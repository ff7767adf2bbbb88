from django.apps import AppConfig


class ThrottleConfig(AppConfig):
    name = "upstate.throttle"
    label = "throttle"
