"""`upstate org|user|apikey create`: through main(), against the test database."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model

from upstate.cli import main
from upstate.orgs.models import ApiKey, Membership, Organization, Role
from upstate.orgs.services import authenticate_api_key


@pytest.fixture
def run(capsys, monkeypatch):
    # Not a terminal: `user create` must generate a password rather than prompt.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def initech(db, run):
    assert run("org", "create", "initech", "--name", "Initech")[0] == 0
    return Organization.objects.get(slug="initech")


def test_it_creates_an_organization(db, run):
    code, out, _ = run("org", "create", "initech", "--name", "Initech")

    assert code == 0
    assert "initech" in out
    assert Organization.objects.get(slug="initech").name == "Initech"


def test_it_rejects_a_taken_slug_naming_the_field(initech, run):
    code, _, err = run("org", "create", "initech", "--name", "Initech again")

    assert code == 2
    assert err.strip() == "upstate: error: slug: is already taken"
    assert Organization.objects.filter(slug="initech").count() == 1


def test_it_rejects_a_bad_slug_without_a_traceback(db, run):
    code, _, err = run("org", "create", "Not A Slug", "--name", "X")

    assert code == 2
    assert "slug:" in err
    assert "Traceback" not in err
    assert not Organization.objects.exists()


def test_it_creates_a_user_with_the_given_password(initech, run):
    code, out, _ = run(
        "user", "create", "Peter@Initech.test", "--org", "initech", "--role", "responder",
        "--password", "tps-reports-42",
    )  # fmt: skip

    assert code == 0
    user = get_user_model().objects.get(email="peter@initech.test")
    assert user.check_password("tps-reports-42")
    assert Membership.objects.get(user=user, org=initech).role == Role.RESPONDER
    assert "Password" not in out


def test_it_generates_and_prints_a_password_off_a_terminal(initech, run):
    code, out, _ = run("user", "create", "bill@initech.test", "--org", "initech", "--role", "owner")

    assert code == 0
    printed = [line for line in out.splitlines() if line.startswith("Password: ")]
    assert len(printed) == 1
    user = get_user_model().objects.get(email="bill@initech.test")
    assert user.check_password(printed[0].removeprefix("Password: "))


def test_it_prompts_for_the_password_on_a_terminal(initech, run, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "stapler-stapler-9")

    code, out, _ = run(
        "user", "create", "milton@initech.test", "--org", "initech", "--role", "viewer"
    )

    assert code == 0
    assert "Password" not in out
    assert (
        get_user_model()
        .objects.get(email="milton@initech.test")
        .check_password("stapler-stapler-9")
    )


def test_it_rejects_a_bad_role_with_exit_code_2(initech, run):
    code, _, err = run("user", "create", "x@initech.test", "--org", "initech", "--role", "boss")

    assert code == 2
    assert err.startswith("upstate: error: role: must be one of owner, admin, responder, viewer")
    assert not get_user_model().objects.filter(email="x@initech.test").exists()


def test_it_rejects_a_short_password(initech, run):
    code, _, err = run(
        "user", "create", "x@initech.test", "--org", "initech", "--role", "viewer",
        "--password", "short",
    )  # fmt: skip

    assert code == 2
    assert err.startswith("upstate: error: password:")
    assert not get_user_model().objects.filter(email="x@initech.test").exists()


def test_it_names_an_unknown_organization(db, run):
    code, _, err = run("user", "create", "x@nowhere.test", "--org", "nowhere", "--role", "viewer")

    assert code == 2
    assert "org: no organization with slug 'nowhere'" in err


def test_it_prints_an_api_key_alone_that_authenticates(initech, run):
    code, out, _ = run("apikey", "create", "--org", "initech", "--role", "viewer", "--name", "ci")

    assert code == 0
    assert len(out.splitlines()) == 1
    key = authenticate_api_key(out.strip())
    assert key is not None
    assert (key.org, key.role, key.name) == (initech, Role.VIEWER, "ci")
    assert out.strip() not in key.digest  # stored hashed, never in plain text


def test_it_refuses_an_owner_api_key(initech, run):
    code, out, err = run("apikey", "create", "--org", "initech", "--role", "owner")

    assert code == 2
    assert out == ""
    assert "role: must be admin, responder or viewer" in err
    assert not ApiKey.objects.exists()


def test_it_lists_every_command_in_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("serve", "worker", "migrate", "org", "user", "apikey", "demo", "incident"):
        assert f"    {command} " in out
