from upstate.notifications.tests.providers import provider_server  # noqa: F401
from upstate.notifications.tests.sinks import _tasks_inline, smtp_sink  # noqa: F401
