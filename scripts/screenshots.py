"""The documentation's dashboard tour screenshots (docs/dashboard.md), from a demo installation.

    .venv/bin/python scripts/screenshots.py [--out docs/images]    (or: make screenshots)

Loads the Acme demo (`upstate demo`) into a temporary UPSTATE_DATA_DIR, starts `upstate serve`
on a free loopback port, signs in with the printed credentials in headless Chromium
(/usr/bin/chromium, through Playwright) and saves PNGs of the main dashboard screens and of the
public page (desktop at 1280x800, and a phone at 390x844). Before shooting it adds, through the
REST API with a key of its own, what the demo leaves empty: a few incident templates and an
assignee for a postmortem's open task. When `optipng` is installed (Debian: `apt-get install
optipng`) every PNG is then recompressed losslessly, about a quarter smaller. Everything it
starts is stopped and the temporary directory removed on exit."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
COMPOSER_TEXT = (
    "Error rates have been **normal** for 30 minutes.\n\n"
    "- Every webhook delivery that failed has been retried\n"
    "- A postmortem follows within two days"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_env(data_dir: Path, base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "UPSTATE_TASKS_IMMEDIATE"):
        env.pop(name, None)
    env.update(
        UPSTATE_DATA_DIR=str(data_dir),
        UPSTATE_PUBLIC_URL=base_url,
        UPSTATE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def load_demo(env: dict[str, str]) -> tuple[str, str]:
    """Runs `upstate demo` and returns the login it prints."""
    out = subprocess.run(
        [str(BIN / "upstate"), "demo"], env=env, check=True, capture_output=True, text=True
    ).stdout
    email = re.search(r"Dashboard login\s+(\S+)", out)
    password = re.search(r"Password\s+(\S+)", out)
    if not (email and password):
        sys.exit(f"error: `upstate demo` printed no login:\n{out}")
    return email.group(1), password.group(1)


@contextmanager
def serving(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """`upstate serve` on 127.0.0.1:port until the block ends."""
    argv = [str(BIN / "upstate"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/dashboard/login/", proc, log)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(600):  # x 0.1 s: migrations and the first page build run first
        if proc.poll() is not None:
            sys.exit(f"error: `upstate serve` exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # busy while starting
            time.sleep(0.1)
    sys.exit(f"error: nothing answered on {url}")


def create_api_key(env: dict[str, str]) -> str:
    """A responder key for the demo organization (`upstate apikey create` prints only it)."""
    out = subprocess.run(
        [str(BIN / "upstate"), "apikey", "create", "--org", "acme", "--name", "screenshots"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip()


def api(base: str, key: str, method: str, path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        sys.exit(f"error: {method} {path} answered {exc.code}: {exc.read().decode()}")


# Templates as a team would prepare them; the demo has none, and an empty list shows nothing.
TEMPLATES = [
    {
        "name": "API outage",
        "group": "Outages",
        "title": "The API is unavailable",
        "impact": "critical",
        "message": "Requests to the API are failing. We are investigating and will update "
        "this page within 30 minutes.",
    },
    {
        "name": "Slow API responses",
        "group": "Performance",
        "title": "Slow API responses",
        "impact": "minor",
        "message": "Some API requests take longer than usual. We are looking into it.",
    },
    {
        "name": "Delayed webhooks",
        "group": "Performance",
        "title": "Webhook deliveries are delayed",
        "impact": "minor",
        "message": "Webhooks are being delivered late; none are lost.",
    },
    {
        "name": "Fix deployed",
        "group": "Updates",
        "title": "Fix deployed",
        "status": "monitoring",
        "impact": "minor",
        "message": "A fix has been deployed and we are watching the results.",
        "notify": False,
    },
]


def prepare(base: str, key: str, email: str) -> None:
    """What the demo leaves empty: incident templates, and an owner for an open task."""
    for template in TEMPLATES:
        api(base, key, "POST", "/templates", template)
    listed = api(base, key, "GET", "/tasks")
    tasks = listed["items"] if isinstance(listed, dict) else listed
    for task in tasks:
        api(base, key, "PATCH", f"/tasks/{task['id']}", {"assignee": email, "state": "in_progress"})


def sign_in(tab: Page, base: str, email: str, password: str) -> None:
    tab.goto(f"{base}/dashboard/login/")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r".*/dashboard/[\w-]+/$"))


def first_incident(tab: Page, base: str, state: str) -> str:
    """The address of the first incident the list shows for a state filter."""
    tab.goto(f"{base}/dashboard/acme/incidents/?state={state}")
    link = tab.locator("#incident-results tbody a").first
    return base + link.get_attribute("href")


def dashboard_shots(tab: Page, base: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """(file name, how to get the screen ready) for each dashboard screenshot, in tour order."""
    yield "overview.png", lambda: tab.goto(f"{base}/dashboard/acme/")
    yield "incidents.png", lambda: tab.goto(f"{base}/dashboard/acme/incidents/")
    yield "declare.png", lambda: tab.goto(f"{base}/dashboard/acme/incidents/new/")

    def composer() -> None:
        tab.goto(first_incident(tab, base, "active"))
        tab.get_by_label("Message", exact=True).fill(COMPOSER_TEXT)
        expect(tab.locator("#composer-preview .prose strong")).to_have_text("normal")
        tab.locator("#composer").scroll_into_view_if_needed()
        tab.evaluate("window.scrollTo(0, 0)")

    yield "incident.png", composer

    def postmortem() -> None:
        tab.goto(first_incident(tab, base, "postmortem") + "postmortem/")

    yield "postmortem.png", postmortem
    yield "tasks.png", lambda: tab.goto(f"{base}/dashboard/acme/tasks/?state=all")
    yield "templates.png", lambda: tab.goto(f"{base}/dashboard/acme/templates/")
    yield (
        "postmortem-template.png",
        lambda: tab.goto(f"{base}/dashboard/acme/postmortem-template/"),
    )
    yield "maintenance.png", lambda: tab.goto(f"{base}/dashboard/acme/maintenance/")
    yield "components.png", lambda: tab.goto(f"{base}/dashboard/acme/pages/acme/components/")

    def custom_domain() -> None:
        # A claimed domain shows the DNS records to create and whether they were found yet.
        tab.goto(f"{base}/dashboard/acme/pages/acme/settings/")
        tab.get_by_role("textbox", name="Custom domain").fill("status.acme.example")
        tab.get_by_role("button", name=re.compile("^Save")).click()
        expect(tab.locator("#domain-record-value")).not_to_be_empty()
        tab.evaluate("window.scrollTo(0, 0)")  # the records sit beside the form's top

    yield "custom-domain.png", custom_domain

    def on_call() -> None:
        tab.goto(f"{base}/dashboard/acme/oncall/")
        tab.get_by_role("link", name="Platform").click()
        expect(tab.locator("#oncall-now")).to_contain_text("@acme.test")

    yield "oncall.png", on_call
    yield (
        "response-targets.png",
        lambda: tab.goto(f"{base}/dashboard/acme/response-targets/"),
    )


def take(out: Path, base: str, email: str, password: str) -> list[Path]:
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            desktop = browser.new_context(viewport=DESKTOP, timezone_id="UTC")
            tab = desktop.new_page()
            sign_in(tab, base, email, password)
            for name, ready in dashboard_shots(tab, base):
                ready()
                saved.append(shot(tab, out / name))
            tab.goto(f"{base}/p/acme/")
            saved.append(shot(tab, out / "public.png"))
            phone = browser.new_context(
                viewport=PHONE, device_scale_factor=1, is_mobile=True, timezone_id="UTC"
            )
            tab = phone.new_page()
            tab.goto(f"{base}/p/acme/")
            saved.append(shot(tab, out / "public-phone.png"))
        finally:
            browser.close()
    return saved


def shot(tab: Page, path: Path) -> Path:
    tab.wait_for_load_state("networkidle")
    tab.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def optimise(paths: list[Path]) -> None:
    """Lossless recompression (the same pixels, smaller files) when optipng is there."""
    optipng = shutil.which("optipng")
    if optipng is None:
        print("optipng not found: the images are left as Chromium saved them", file=sys.stderr)
        return
    subprocess.run([optipng, "-quiet", "-o2", "-strip", "all", *map(str, paths)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"error: {CHROMIUM} is missing; install it with: sudo apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upstate-screenshots-") as tmp:
        port = free_port()
        env = demo_env(Path(tmp) / "data", f"http://127.0.0.1:{port}")
        email, password = load_demo(env)
        key = create_api_key(env)
        with serving(env, port, Path(tmp) / "serve.log") as base:
            prepare(base, key, email)
            saved = take(args.out, base, email, password)
            optimise(saved)
            for path in saved:
                size = path.stat().st_size // 1024
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
