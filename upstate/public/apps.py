from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "upstate.public"
    label = "public"

    def ready(self) -> None:
        # Registers the snapshot builder, which web and worker processes start
        # (upstate.lib.coalesce.start_all) before their first request or task.
        from upstate.public import publish  # noqa: F401
