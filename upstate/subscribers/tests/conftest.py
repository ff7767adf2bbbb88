from upstate.notifications.tests.sinks import _tasks_inline, http_receiver, smtp_sink  # noqa: F401
