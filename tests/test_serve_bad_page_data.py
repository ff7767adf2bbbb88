"""`upstate serve` for real over pages whose stored data is bad: text with control characters
saved before the accepted-text rule, and a page whose documents cannot be built at all (a
time zone that does not exist). Start-up, and every other page, go on regardless."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from tests import test_serve
from tests.test_serve import UPSTATE, _free_port, _wait_for_http

env = test_serve.env  # the throwaway SQLite installation's environment (a fixture)

# Run in the installation's environment: two more pages, then bad data written straight
# to the database (as an older version, or a hand edit, would have left it).
SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from upstate.incidents.models import Incident
    from upstate.incidents.services import create_incident
    from upstate.pages.models import StatusPage
    from upstate.pages.services import create_page

    from upstate.orgs.services import create_org

    org = create_org(slug="acme", name="Acme Inc")
    create_page(org=org, slug="steady", name="Steady Status")
    escaped = create_page(org=org, slug="escaped", name="Escaped")
    incident = create_incident(page=escaped, title="placeholder")
    Incident.objects.filter(pk=incident.pk).update(title="Disk \\x1b[31mfull\\x0c again")
    broken = create_page(org=org, slug="broken", name="Broken")
    StatusPage.objects.filter(pk=broken.pk).update(time_zone="Nowhere/Atlantis")
    print(broken.code)
    """
)


def test_serve_starts_and_serves_every_page_beside_one_that_cannot_be_built(env, tmp_path):
    subprocess.run([UPSTATE, "migrate"], env=env, check=True, capture_output=True, timeout=180)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        env={**env, "DJANGO_SETTINGS_MODULE": "upstate.settings"},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    broken_code = setup.stdout.split()[-1]
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [UPSTATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        steady = _wait_for_http(f"http://127.0.0.1:{port}/p/steady/", server)
        escaped = httpx.get(f"http://127.0.0.1:{port}/p/escaped/", timeout=10)
        feed = httpx.get(f"http://127.0.0.1:{port}/p/escaped/history.rss", timeout=10)
        broken = httpx.get(f"http://127.0.0.1:{port}/p/broken/", timeout=10)
        assert server.poll() is None, log_path.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert steady.status_code == 200 and "Steady Status" in steady.text
    # Rebuilt at start-up with the stored title, its control characters left out.
    assert escaped.status_code == 200
    assert "Disk [31mfull again" in escaped.text
    assert feed.status_code == 200 and "Disk [31mfull again" in feed.text
    # The page that cannot be built keeps the version it had before its data went bad.
    assert broken.status_code == 200 and "Broken" in broken.text
    output = log_path.read_text()
    assert f"the public documents of page {broken_code} could not be built" in output
