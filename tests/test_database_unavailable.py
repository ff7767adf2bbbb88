"""Requests while the database cannot be reached, to a real `upstate web`: the API answers its
JSON error shape with 503 and Retry-After, the dashboard a short plain 503 page. And a body
over UPSTATE_MAX_REQUEST_BYTES gets the API's JSON 413 from plain WSGI too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from tests import test_serve
from tests.test_serve import UPSTATE, _free_port, _wait_for_http

env = test_serve.env  # a throwaway SQLite installation's environment (a fixture)

PG = "postgres://postgres@127.0.0.1:5432"
KEY = "up_NSDG78gkmfuS_DVhClAAXY7h2OLoVv6zrZlsmWHe61VGe"  # well formed: it is looked up


def _start_web(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    with log_path.open("w") as log:
        web = subprocess.Popen(
            [UPSTATE, "web", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_for_http(f"{base}/healthz", web)
    return web, base


def _assert_unavailable(base: str) -> None:
    api = httpx.get(
        f"{base}/api/v1/incidents", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    assert api.status_code == 503, api.text
    assert api.headers["Retry-After"] == "30"
    assert api.headers["Content-Type"].startswith("application/json")
    assert api.json() == {
        "message": "The database is unavailable; try again shortly",
        "errors": [],
    }
    dashboard = httpx.get(f"{base}/dashboard/", cookies={"sessionid": "x" * 32}, timeout=30)
    assert dashboard.status_code == 503, dashboard.text
    assert dashboard.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in dashboard.text
    assert len(dashboard.content) < 1000  # short: no template, no database needed


def test_sqlite_made_unreachable_gets_503s_in_each_surfaces_shape(env, tmp_path):
    # A connection kept from /healthz would go on reading the moved file: open one per request.
    env = {**env, "UPSTATE_DB_CONN_MAX_AGE": "0"}
    web, base = _start_web(env, tmp_path / "web.log")
    try:
        database = Path(env["UPSTATE_DATA_DIR"]) / "upstate.sqlite3"
        shutil.move(database, tmp_path / "moved.sqlite3")
        database.mkdir()  # opening it now fails: "unable to open database file"
        _assert_unavailable(base)
    finally:
        web.terminate()
        web.wait(timeout=60)


@pytest.fixture
def pg_database() -> str:
    name = "h20a_unavailable"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    yield name
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_postgresql_database_dropped_under_the_server_gets_503s(env, tmp_path, pg_database):
    env = {**env, "DATABASE_URL": f"{PG}/{pg_database}", "UPSTATE_DB_CONN_MAX_AGE": "0"}
    web, base = _start_web(env, tmp_path / "web.log")
    try:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {pg_database} WITH (FORCE)")
        _assert_unavailable(base)
    finally:
        web.terminate()
        web.wait(timeout=60)


def test_a_body_over_the_limit_gets_the_json_413_from_plain_wsgi(live_upstate, owner, settings):
    too_long = b"{" + b" " * settings.MAX_REQUEST_BYTES + b"}"
    response = httpx.post(
        f"{live_upstate}/api/v1/incidents",
        content=too_long,
        headers={"Authorization": f"Bearer {owner.key}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    limit = settings.MAX_REQUEST_BYTES
    assert response.json() == {
        "message": f"body: must be at most {limit} bytes",
        "errors": [{"field": "body", "message": f"must be at most {limit} bytes"}],
    }
