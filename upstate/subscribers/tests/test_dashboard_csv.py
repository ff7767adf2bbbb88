"""CSV export and import of subscribers in the dashboard: a preview first, errors naming the
line and the field, nothing half-imported, and `confirmed` imports for admins only."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from upstate.audit.models import AuditEntry
from upstate.notifications.tests.helpers import subscribe
from upstate.subscribers.models import Subscriber

BASE = "/dashboard/acme/pages/acme/subscribers/"

GOOD = """channel,address,components
email,ann@example.com,
email,Bob@Example.COM,API
slack,https://hooks.slack.com/services/T0/B0/x,API;website
sms,+1 415 555 0100,
"""


def _upload(client, text: str, **extra):
    data = {"file": SimpleUploadedFile("subscribers.csv", text.encode(), "text/csv"), **extra}
    return client.post(f"{BASE}import/preview/", data)


def _commit(client, text: str, confirmed: bool = False, capture=None):
    data = {"csv": text}
    if confirmed:
        data["confirmed"] = "True"
    if capture is None:
        return client.post(f"{BASE}import/commit/", data)
    with capture(execute=True):
        return client.post(f"{BASE}import/commit/", data)


def test_the_preview_shows_what_would_happen_and_writes_nothing(
    client, responder, page, api_component, web_component
):
    subscribe(page, "ann@example.com")
    client.force_login(responder.user)
    response = _upload(client, GOOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>3</strong> new subscribers" in html
    assert "<strong>1</strong> already subscribed" in html
    assert "Import 3 subscribers" in html
    assert "Bob@example.com" in html and "+14155550100" in html
    assert Subscriber.objects.count() == 1


def test_errors_name_the_line_and_the_field_and_nothing_is_imported(
    client, responder, page, api_component
):
    text = (
        "channel,address,components\n"
        "email,ann@example.com,\n"
        "pigeon,coo@example.com,\n"
        "email,not-an-address,\n"
        'webhook,"ftp://x.example",\n'
        "sms,0151 2345,\n"
        "email,ann@example.com,\n"
        "email,dan@example.com,Billing\n"
    )
    client.force_login(responder.user)
    html = _upload(client, text).content.decode()
    assert "Nothing was imported" in html
    assert "Import " not in html.split("Nothing was imported")[1].split("</div>")[0]
    expected = [
        ("3", "channel", "must be one of email, webhook"),
        ("4", "address", "must be an email address"),
        ("5", "address", "must be an http or https URL"),
        ("6", "address", "E.164"),
        ("7", "address", "appears again (first on line 2)"),
        ("8", "components", "no component &#x27;Billing&#x27; on this page"),
    ]
    for line, field, message in expected:
        assert f"<tr><td>{line}</td><td><code>{field}</code></td><td>" in html
        assert message in html
    # Sending the same file to the commit step (a forged or stale form) imports nothing.
    response = _commit(client, text)
    assert response.status_code == 400
    assert Subscriber.objects.count() == 0


def test_a_missing_column_or_a_binary_file_is_refused(client, responder, page):
    client.force_login(responder.user)
    html = _upload(client, "email\nann@example.com\n").content.decode()
    assert "<code>header</code>" in html and "missing channel, address" in html
    response = client.post(
        f"{BASE}import/preview/",
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", "text/csv")},
    )
    assert response.status_code == 400
    assert b"CSV file" in response.content and b"is not UTF-8 text" in response.content
    assert Subscriber.objects.count() == 0


def test_an_import_creates_all_rows_and_sends_confirmations(
    client,
    responder,
    page,
    api_component,
    web_component,
    smtp_sink,
    django_capture_on_commit_callbacks,
):
    subscribe(page, "ann@example.com")
    client.force_login(responder.user)
    response = _commit(client, GOOD, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page_html = client.get(response["Location"]).content.decode()
    assert "Imported 3 subscribers; 1 already subscribed left as they were." in page_html

    bob = Subscriber.objects.get(address="Bob@example.com")
    assert (bob.state, list(bob.components.all())) == ("unconfirmed", [api_component])
    slack = Subscriber.objects.get(channel="slack")
    assert slack.state == "active"
    assert set(slack.components.all()) == {api_component, web_component}
    assert Subscriber.objects.get(channel="sms").address == "+14155550100"
    # Only the new, unconfirmed email address got the double opt-in email.
    assert smtp_sink.wait_for(1)
    assert [m.recipients for m in smtp_sink.mails] == [["Bob@example.com"]]
    entry = AuditEntry.objects.get(action="subscribers.imported")
    assert entry.details == {"count": 3, "confirmed": False}


def test_only_admins_import_as_confirmed(client, responder, owner, page, smtp_sink):
    text = "channel,address\nemail,ann@example.com\n"
    client.force_login(responder.user)
    assert b"already agreed" not in client.get(f"{BASE}import/").content
    assert _upload(client, text, confirmed="on").status_code == 403
    assert _commit(client, text, confirmed=True).status_code == 403
    assert Subscriber.objects.count() == 0

    client.force_login(owner.user)
    assert b"already agreed" in client.get(f"{BASE}import/").content
    preview = _upload(client, text, confirmed="on").content.decode()
    assert "imported as <strong>confirmed</strong>" in preview
    assert _commit(client, text, confirmed=True).status_code == 302
    assert Subscriber.objects.get().state == "active"
    assert smtp_sink.mails == []


def test_the_export_reads_back_as_an_import(client, owner, page, api_component, other_page):
    subscribe(page, "ann@example.com", components=[api_component])
    subscribe(page, "https://hooks.example.com/x", channel="webhook")
    subscribe(page, "carl@example.com", confirmed=False)
    client.force_login(owner.user)
    response = client.get(f"{BASE}export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="subscribers-acme.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["channel"], r["address"], r["components"], r["state"]) for r in rows] == [
        ("email", "carl@example.com", "", "unconfirmed"),
        ("webhook", "https://hooks.example.com/x", "", "active"),
        ("email", "ann@example.com", "API", "active"),
    ]
    filtered = b"".join(client.get(f"{BASE}export.csv?state=unconfirmed").streaming_content)
    assert b"carl@example.com" in filtered and b"ann@example.com" not in filtered

    # The same file into an empty page: everything is new and nothing is wrong.
    Subscriber.objects.all().delete()
    html = _upload(client, text).content.decode()
    assert "<strong>3</strong> new subscribers" in html and "<strong>0</strong> errors" in html


@pytest.mark.parametrize("text", ["channel,address\n", "channel,address\n\n,\n"])
def test_a_file_without_rows_imports_nothing(client, responder, page, text):
    client.force_login(responder.user)
    response = _upload(client, text)
    assert b"Nothing to import" in response.content
    assert b"Import 0" not in response.content


def test_an_empty_upload_names_the_field(client, responder, page):
    client.force_login(responder.user)
    response = client.post(
        f"{BASE}import/preview/", {"file": SimpleUploadedFile("x.csv", b"", "text/csv")}
    )
    assert response.status_code == 400
    assert b"The submitted file is empty" in response.content


def test_the_export_cannot_run_formulas_in_a_spreadsheet_and_still_imports(client, owner, page):
    subscribe(page, "=1+2@example.com")
    subscribe(page, "+14155550100", channel="sms")
    client.force_login(owner.user)
    text = b"".join(client.get(f"{BASE}export.csv").streaming_content).decode()
    addresses = [r["address"] for r in csv.DictReader(io.StringIO(text))]
    assert addresses == ["'+14155550100", "'=1+2@example.com"]
    Subscriber.objects.all().delete()
    assert _commit(client, text, confirmed=True).status_code == 302
    assert sorted(Subscriber.objects.values_list("address", flat=True)) == [
        "+14155550100",
        "=1+2@example.com",
    ]


def test_a_large_import_sends_confirmations_in_batches(
    client, owner, page, smtp_sink, django_capture_on_commit_callbacks
):
    rows = "".join(f"email,p{n}@example.com\n" for n in range(450))
    client.force_login(owner.user)
    response = _commit(
        client, "channel,address\n" + rows, capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert Subscriber.objects.filter(confirmed_at__isnull=True).count() == 450
    assert smtp_sink.wait_for(450)
    assert sorted(r for m in smtp_sink.mails for r in m.recipients) == sorted(
        f"p{n}@example.com" for n in range(450)
    )


def test_a_webhook_address_with_a_control_character_is_a_line_error(client, responder, page):
    text = "channel,address,components\nwebhook,https://hooks.example.com/a\x1bb,\n"
    client.force_login(responder.user)
    html = _upload(client, text).content.decode()
    assert "Nothing was imported" in html
    assert "<tr><td>2</td><td><code>address</code></td><td>" in html
    assert "U+001B" in html
    # The commit step's form refuses the text itself, and sends back to the upload.
    assert _commit(client, text)["Location"] == BASE + "import/"
    assert Subscriber.objects.count() == 0
