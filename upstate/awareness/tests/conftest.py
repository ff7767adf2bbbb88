"""Fixtures for incident awareness: live incidents indexed by the real model, as the worker
indexes them after the declaring transaction commits."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    # The public box's rate limit lives in the cache; each test starts with a clean one.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_inline():
    """The worker's tasks run in the caller's thread (the settings' UPSTATE_TASKS_IMMEDIATE is
    read before the root conftest can set it)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


@pytest.fixture
def declare(django_capture_on_commit_callbacks):
    """declare(page, title, message=..., components=[...]) -> an incident, indexed."""
    from upstate.incidents.services import create_incident

    def make(page, title, *, message="", components=(), **kwargs):  # noqa: ANN001, ANN202
        with django_capture_on_commit_callbacks(execute=True):
            return create_incident(
                page=page,
                title=title,
                message=message,
                components=dict.fromkeys(components),
                notify=False,
                **kwargs,
            )

    return make


@pytest.fixture
def login_incident(declare, page):
    from upstate.pages.services import create_component

    login = create_component(page=page, name="Login", description="Signing in to your account")
    return declare(
        page,
        "Authentication latency degraded",
        message="We are investigating elevated response times on sign-in requests. "
        "Some users may see timeouts when logging in.",
        components=[login],
    )


@pytest.fixture
def dashboard_incident(declare, page):
    return declare(
        page,
        "Dashboard not loading for some customers",
        message="A faulty release leaves the web app's pages empty for some accounts.",
    )


@pytest.fixture
def outsider_incident(declare, other_page):
    return declare(
        other_page,
        "Login failures for all users",
        message="Nobody can sign in; sign-in requests time out.",
    )
