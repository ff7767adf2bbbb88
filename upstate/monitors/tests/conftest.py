from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from upstate.monitors.tests.targets import DnsTarget, HttpTarget, TcpTarget
from upstate.notifications.tests.sinks import http_receiver  # noqa: F401


@pytest.fixture
def http_target(settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    target = HttpTarget().start()
    yield target
    target.stop()


@pytest.fixture
def tcp_target(settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    target = TcpTarget()
    yield target
    target.close()


@pytest.fixture
def dns_target(settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    target = DnsTarget()
    yield target
    target.stop()


@pytest.fixture(autouse=True)
def _tasks_inline():
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = was


@pytest.fixture
def http_monitor(org, page, api_component, http_target):
    from upstate.monitors.services import create_monitor

    return create_monitor(
        org=org,
        name="Public API",
        kind="http",
        url=http_target.url(),
        keyword=HttpTarget.KEYWORD,
        timeout_seconds=2,
        interval_seconds=30,
        page=page,
        component=api_component,
    )


def run(coro):
    """Run a coroutine to completion, also when this thread already runs an event loop
    (Playwright's sync API leaves one behind once a browser test has run in the process)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
