"""`/healthz` tells a load balancer whether this instance can reach its database."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def test_it_reports_a_reachable_database(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["public"]["current"] is True


def test_it_answers_503_when_the_database_is_unreachable(tmp_path):
    # A fresh process whose database is a PostgreSQL port nobody listens on.
    env = dict(os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:9/none")
    env.update(UPSTATE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="upstate.settings")
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from django.test import Client
        response = Client().get("/healthz")
        print(response.status_code, response.json()["database"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.split() == ["503", "unreachable"], result.stderr
