"""Forty wrong passwords for one email sent at once to a live server: exactly
LOGIN_FAILURE_LIMIT of them reach the password check, the rest are refused with 429."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import make_server

import httpx
import pytest
from django.conf import settings

from conftest import _QuietHandler, _ThreadingWSGIServer
from upstate.throttle import services
from upstate.throttle.models import Counter

ATTEMPTS = 40


class _Server(_ThreadingWSGIServer):
    request_queue_size = ATTEMPTS + 10  # every attempt connects at once


@pytest.fixture
def live_upstate(transactional_db):
    """The WSGI application on a threaded server that takes all the attempts at once."""
    from upstate.wsgi import application

    server = make_server("127.0.0.1", 0, application, _Server, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _signed_in_form(base: str) -> tuple[dict[str, str], str]:
    page = httpx.get(f"{base}/dashboard/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return dict(page.cookies), token


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_exactly_the_limit_of_checks(live_upstate, owner):
    cookies, token = _signed_in_form(live_upstate)
    form = {"username": "owner@acme.test", "password": "wrong", "csrfmiddlewaretoken": token}
    headers = {"Referer": f"{live_upstate}/dashboard/login/"}

    def attempt(_: int) -> int:
        with httpx.Client(cookies=cookies, headers=headers, timeout=60) as client:
            return client.post(f"{live_upstate}/dashboard/login/", data=form).status_code

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        statuses = list(pool.map(attempt, range(ATTEMPTS)))

    checked = [s for s in statuses if s != 429]
    assert len(checked) == settings.LOGIN_FAILURE_LIMIT, statuses
    assert set(checked) == {200}  # the form again, with "wrong email or password"
    assert statuses.count(429) == ATTEMPTS - settings.LOGIN_FAILURE_LIMIT
    # The right password is refused as well until the window ends.
    cookies, token = _signed_in_form(live_upstate)
    right = {**form, "password": "correct-horse-9", "csrfmiddlewaretoken": token}
    with httpx.Client(cookies=cookies, headers=headers, timeout=30) as client:
        assert client.post(f"{live_upstate}/dashboard/login/", data=right).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_hits_counted_from_many_threads_are_never_lost():
    def count(_: int) -> int:
        from django.db import connection

        try:
            return services.hit("race", 60)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        seen = sorted(pool.map(count, range(64)))

    assert seen == list(range(1, 65))  # every thread got its own number
    assert Counter.objects.get(key="race").count == 64


@pytest.mark.django_db
def test_a_window_that_ended_starts_again_and_is_swept():
    assert services.hit("k", 60) == 1
    assert services.hit("k", 60) == 2
    Counter.objects.filter(key="k").update(expires_at="2000-01-01T00:00:00Z")
    assert services.hit("k", 60) == 1
    Counter.objects.filter(key="k").update(expires_at="2000-01-01T00:00:00Z")
    assert services.sweep() == 1
    assert not Counter.objects.exists()
