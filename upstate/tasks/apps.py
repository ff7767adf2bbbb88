from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "upstate.tasks"
    verbose_name = "Tasks"
