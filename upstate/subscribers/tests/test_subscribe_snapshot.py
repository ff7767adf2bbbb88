"""The subscribe form is part of the page's snapshot: served with Django unreachable."""

from __future__ import annotations

from wsgiref.util import setup_testing_defaults

from django.utils import timezone

from upstate.public.fastpath import SnapshotApp
from upstate.public.snapshot import build_snapshot
from upstate.public.tests.test_fastpath import Unreachable


def _get(app, path: str, host: str = "127.0.0.1:8000") -> tuple[str, bytes]:
    environ: dict = {"PATH_INFO": path, "HTTP_HOST": host}
    setup_testing_defaults(environ)
    captured: dict = {}

    def start_response(status, headers):  # noqa: ANN001
        captured["status"] = status

    body = b"".join(app(environ, start_response))
    return captured["status"], body


def test_the_form_is_served_from_the_snapshot(page, api_component):
    page.custom_domain = "status.acme.example"
    page.domain_verified_at = timezone.now()  # only a proven domain is served
    page.save()
    build_snapshot(page)
    backend = Unreachable()
    app = SnapshotApp(backend)
    for host, path in [
        ("127.0.0.1:8000", "/p/acme/subscribe"),
        ("status.acme.example", "/subscribe"),
    ]:
        status, body = _get(app, path, host)
        html = body.decode()
        assert status.startswith("200")
        assert 'action="./subscribe"' in html
        assert 'value="slack"' in html and ">API<" not in html and " API</label>" in html
    assert backend.calls == 0


def test_phones_are_offered_once_a_provider_can_text_them(page, django_capture_on_commit_callbacks):
    from upstate.notifications.services import configure_providers

    build_snapshot(page)
    status, html = _get(SnapshotApp(Unreachable()), "/p/acme/subscribe")
    assert b'value="email"' in html and b'value="sms"' not in html
    with django_capture_on_commit_callbacks(execute=True):
        configure_providers(
            org=page.org,
            twilio_account_sid="AC" + "0" * 32,
            twilio_auth_token="token",
            twilio_sms_from="+15005550006",
        )
    status, html = _get(SnapshotApp(Unreachable()), "/p/acme/subscribe")
    assert b'value="sms"' in html and b'value="whatsapp"' not in html


def test_a_new_component_appears_in_the_form(page, api_component, web_component):
    documents = build_snapshot(page).documents
    assert b"Website</label>" in documents["subscribe"].body
