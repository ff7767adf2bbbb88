"""Personas every endpoint is tested with: an owner, a responder, a read-only member and an
outsider from another organization, each with a user and an API key."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("UPSTATE_TASKS_IMMEDIATE", "True")


@dataclass
class Persona:
    user: object
    key: str
    org: object

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}


@pytest.fixture(autouse=True)
def _snapshot_dir(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    return settings.SNAPSHOT_DIR


def _persona(org, email: str, role: str) -> Persona:
    from upstate.orgs.services import add_member, create_api_key

    membership = add_member(org=org, email=email, role=role, password="correct-horse-9")
    key_role = "admin" if role == "owner" else role
    _, key = create_api_key(org=org, role=key_role, name=f"{role} key")
    return Persona(user=membership.user, key=key, org=org)


@pytest.fixture
def org(db):
    from upstate.orgs.services import create_org

    return create_org(slug="acme", name="Acme Inc")


@pytest.fixture
def other_org(db):
    from upstate.orgs.services import create_org

    return create_org(slug="globex", name="Globex")


@pytest.fixture
def owner(org) -> Persona:
    return _persona(org, "owner@acme.test", "owner")


@pytest.fixture
def responder(org) -> Persona:
    return _persona(org, "responder@acme.test", "responder")


@pytest.fixture
def viewer(org) -> Persona:
    return _persona(org, "viewer@acme.test", "viewer")


@pytest.fixture
def outsider(other_org) -> Persona:
    return _persona(other_org, "owner@globex.test", "owner")


@pytest.fixture
def page(org):
    from upstate.pages.services import create_page

    return create_page(org=org, name="Acme Status", slug="acme")


@pytest.fixture
def other_page(other_org):
    from upstate.pages.services import create_page

    return create_page(org=other_org, name="Globex Status", slug="globex")


@pytest.fixture
def api_component(page):
    from upstate.pages.services import create_component

    return create_component(page=page, name="API")


@pytest.fixture
def web_component(page):
    from upstate.pages.services import create_component

    return create_component(page=page, name="Website")
