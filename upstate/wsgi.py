"""WSGI entry point: the public fast path in front of Django (tests and other WSGI servers;
``upstate web`` serves ``upstate.rsgi``)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

# Sets Django up, which the fast path's imports (models) need.
django_application = get_wsgi_application()

from upstate.public.fastpath import SnapshotApp  # noqa: E402

application = SnapshotApp(django_application)
