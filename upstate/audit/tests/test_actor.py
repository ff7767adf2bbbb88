"""Who an entry is attributed to: the context set by `acting_as`, `set_actor` or nobody."""

from __future__ import annotations

from django.test import RequestFactory

from upstate.audit.middleware import AuditActorMiddleware
from upstate.audit.models import AuditEntry
from upstate.audit.services import acting_as, record, set_actor
from upstate.orgs.models import ApiKey


def _latest(org) -> AuditEntry:
    return AuditEntry.objects.filter(org=org).first()


def test_it_records_system_when_nobody_is_acting(org):
    entry = record(org=org, action="thing.done")

    assert entry.actor_label == "system"
    assert entry.user is None and entry.api_key is None


def test_it_records_the_signed_in_user(owner):
    with acting_as(user=owner.user):
        record(org=owner.org, action="thing.done")

    entry = _latest(owner.org)
    assert entry.actor_label == "owner@acme.test"
    assert entry.user == owner.user


def test_it_records_the_api_key_by_name(owner):
    key = ApiKey.objects.get(org=owner.org, name="owner key")

    with acting_as(api_key=key):
        record(org=owner.org, action="thing.done")

    entry = _latest(owner.org)
    assert entry.actor_label == "API key 'owner key'"
    assert entry.api_key == key


def test_it_restores_the_previous_actor_after_the_block(owner):
    with acting_as(label="cli"):
        with acting_as(user=owner.user):
            pass
        entry = record(org=owner.org, action="thing.done")

    assert entry.actor_label == "cli"
    assert record(org=owner.org, action="thing.done").actor_label == "system"


def test_the_middleware_attributes_the_request_and_forgets_set_actor(owner):
    key = ApiKey.objects.get(org=owner.org, name="owner key")
    request = RequestFactory().post("/dashboard/x/")
    request.user = owner.user

    def view(request):
        record(org=owner.org, action="by.user")
        set_actor(api_key=key)  # what the API's authentication does
        record(org=owner.org, action="by.key")
        return None

    AuditActorMiddleware(view)(request)

    labels = dict(
        AuditEntry.objects.filter(action__startswith="by.").values_list("action", "actor_label")
    )
    assert labels == {"by.user": "owner@acme.test", "by.key": "API key 'owner key'"}
    assert record(org=owner.org, action="after").actor_label == "system"


def test_an_anonymous_request_is_recorded_as_system(org):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().post("/")
    request.user = AnonymousUser()

    def view(request):
        return record(org=org, action="thing.done")

    assert AuditActorMiddleware(view)(request).actor_label == "system"
