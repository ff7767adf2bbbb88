from django.apps import AppConfig


class AwarenessConfig(AppConfig):
    name = "upstate.awareness"
    label = "awareness"
    verbose_name = "Incident awareness"

    def ready(self) -> None:
        from upstate.awareness import signals  # noqa: F401  (connects the re-index hooks)
