"""The accepted-text rule in the forms people fill in: the dashboard's and the public page's.
A control character is an inline error on its field, and nothing is stored."""

from __future__ import annotations

import typing

from django import forms

from upstate.dashboard.formtext import AcceptedText
from upstate.incidents.models import Incident
from upstate.pages.models import Component
from upstate.subscribers.models import Subscriber


def test_declaring_an_incident_with_an_escape_in_its_title_is_a_form_error(client, owner, page):
    client.force_login(owner.user)
    data = {
        "title": "Checkout \x1b[31m fails",
        "page": "acme",
        "status": "investigating",
        "impact": "major",
        "message": "Looking\x0c into it",
        "visibility": "public",
    }
    response = client.post("/dashboard/acme/incidents/new/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "U+001B" in errors["title"][0]
    assert "U+000C" in errors["message"][0]
    assert not Incident.objects.exists()


def test_a_component_name_with_a_vertical_tab_is_a_form_error(client, owner, page):
    client.force_login(owner.user)
    response = client.post(
        f"/dashboard/acme/pages/{page.slug}/components/new/", {"name": "API\x0bv2"}
    )
    assert response.status_code == 400
    assert "U+000B" in response.context["form"].errors["name"][0]
    assert not Component.objects.filter(name__contains="\x0b").exists()


def test_the_public_trouble_box_refuses_control_characters(client, page):
    response = client.post("/p/acme/trouble", {"text": "login \x1b broken"})
    assert response.status_code == 400
    assert b"U+001B" in response.content


def test_the_public_subscribe_form_refuses_control_characters(client, page):
    response = client.post("/p/acme/subscribe", {"email": "ann\x1b@example.com"})
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def _subclasses(cls: type) -> typing.Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# Django's own sign-in and reset forms: the password is never shown, the address only looked up.
NOT_STORED = {"AuthenticationForm", "EmailLoginForm", "PasswordResetForm",
              "InviteAwarePasswordResetForm", "SetPasswordForm", "PasswordChangeForm",
              "AdminPasswordChangeForm", "BaseUserCreationForm", "UserCreationForm",
              "UserChangeForm", "AdminUserCreationForm"}  # fmt: skip


def test_every_form_of_upstate_checks_the_rule():
    import upstate.urls  # noqa: F401 - imports every view, and with them every form

    missing = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in _subclasses(forms.Form)
        if cls.__module__.startswith("upstate.")
        and cls.__name__ not in NOT_STORED
        and not issubclass(cls, AcceptedText)
    ]
    assert missing == []
