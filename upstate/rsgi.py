"""What ``upstate web`` serves (granian's RSGI interface): public documents answered on the
event loop, Django in its own threads (see ``upstate.public.fastpath.Application``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

django_application = get_wsgi_application()

from upstate.public.fastpath import Application  # noqa: E402
from upstate.server import default_threads  # noqa: E402

# `upstate web --threads` reaches granian's worker processes through the environment.
threads = int(os.environ.get("UPSTATE_WEB_THREADS") or default_threads())
application = Application(django_application, threads)
