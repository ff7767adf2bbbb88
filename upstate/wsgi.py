"""WSGI entry point: the snapshot fast path in front of Django."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from upstate.public.fastpath import SnapshotApp  # noqa: E402

django_application = get_wsgi_application()
application = SnapshotApp(django_application)
