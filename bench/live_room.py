"""Live incident room: what 50 people with the same incident open cost the server.

    .venv/bin/python bench/live_room.py                   # 50 viewers, 30 s a phase, ~2.5 min
    .venv/bin/python bench/live_room.py --viewers 100 --duration 60

It starts a throwaway installation on a free loopback port: a temporary UPSTATE_DATA_DIR and
`upstate serve` (the embedded default: web server and worker on SQLite), set up through
`upstate migrate`, `upstate org create`, `upstate user create` and `upstate apikey create`,
then the REST API (a page, a component, one incident). Each viewer signs in through the
login form (its own session) and opens the incident's room.

Then, in this order, each phase --duration seconds long:

1. baseline: nobody polls; the server's CPU while idle (the worker's schedules, the public
   snapshot follower);
2. quiet room: --viewers viewers poll the room as the page does (every 5 s, GET of the room's
   URL with If-None-Match and HX-Request, starts spread over the interval): every answer
   should be a 304;
3. busy room: the same, while a responder posts an update through the API every
   --update-every seconds, so each update costs every viewer one full render (200) of the
   room, after which they poll with the new version.

For each phase it prints the requests per second the server answered, their status codes,
latency p50/p99, and the CPU the server's process group used (user + system, % of one core),
so that the polls' own cost is the difference to the baseline. It prints figures; it asserts
nothing. The viewers run in this process (asyncio + httpx, one keep-alive connection each);
their CPU is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
from _harness import Processes, percentile, progress, upstate, upstate_env  # noqa: E402

SLUG = "live"
EMAIL = "viewer@live.test"
PASSWORD = "bench-live-room-9"
POLL_SECONDS = 5  # as upstate/dashboard/live.py ROOM_SECONDS
SETTLE_SECONDS = 10
TIMEOUT = 30.0
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POLLER = re.compile(r"hx-headers='(\{&quot;If-None-Match[^']+)'")


@dataclass
class Install:
    base: str
    key: str
    session: int
    incident: str = ""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    cpu: float = 0.0
    codes: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    updates: int = 0


def start(tmp: Path, procs: Processes) -> Install:
    port = _harness.free_port()
    env = upstate_env(
        tmp / "data",
        UPSTATE_SECRET_KEY="bench-live-room-" + os.urandom(8).hex(),
        UPSTATE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    upstate(env, "migrate")
    upstate(env, "org", "create", SLUG, "--name", "Live")
    upstate(env, "user", "create", EMAIL, "--org", SLUG, "--role", "responder",
            "--password", PASSWORD)  # fmt: skip
    key = upstate(env, "apikey", "create", "--org", SLUG, "--role", "admin", "--name", "live")
    server = procs.upstate("serve", ["serve", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    _harness.wait_until_up(base + "/healthz", server, procs)
    return Install(base, key.strip(), server.pid)


def create_incident(install: Install) -> None:
    api = install.base + "/api/v1"
    headers = {"Authorization": f"Bearer {install.key}"}
    with httpx.Client(headers=headers, timeout=TIMEOUT) as client:
        page = client.post(f"{api}/pages", json={"name": "Live Status", "slug": SLUG})
        page.raise_for_status()
        page_id = page.json()["id"]
        component = client.post(f"{api}/pages/{page_id}/components", json={"name": "API"})
        component.raise_for_status()
        made = client.post(
            f"{api}/incidents",
            json={
                "page_id": page_id,
                "title": "Checkout errors",
                "impact": "major",
                "component_ids": [component.json()["id"]],
                "message": "We are investigating failed payments.",
            },
        )
        made.raise_for_status()
        install.incident = made.json()["id"]


def _version(html: str) -> str:
    found = POLLER.search(html)
    if found is None:
        sys.exit("error: the room has no poller")
    return json.loads(found.group(1).replace("&quot;", '"'))["If-None-Match"]


async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/dashboard/login/")
    token = CSRF.search(form.text)
    if token is None:
        sys.exit("error: no CSRF token on the login form")
    done = await client.post(
        "/dashboard/login/",
        data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{client.base_url}/dashboard/login/"},
    )
    if done.status_code != 302:
        sys.exit(f"error: signing in answered {done.status_code}")


async def viewer(
    client: httpx.AsyncClient, room: str, phase: list[Phase | None], stop: asyncio.Event
) -> None:
    """Polls like the page: every POLL_SECONDS with the version it holds; a 200 brings the
    new version (the page swaps parts of it in)."""
    tag = _version((await client.get(room)).text)
    await asyncio.sleep(random.uniform(0, POLL_SECONDS))
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.get(room, headers={"If-None-Match": tag, "HX-Request": "true"})
        elapsed = time.perf_counter() - started
        current = phase[0]
        if current is not None:
            current.codes[response.status_code] += 1
            current.latencies.append(elapsed * 1000)
        if response.status_code == 200:
            tag = _version(response.text)
        await asyncio.sleep(max(0.0, POLL_SECONDS - elapsed))


async def writer(install: Install, every: float, phase: Phase, stop: asyncio.Event) -> None:
    url = f"{install.base}/api/v1/incidents/{install.incident}/updates"
    headers = {"Authorization": f"Bearer {install.key}"}
    statuses = ["identified", "monitoring"]
    async with httpx.AsyncClient(headers=headers, timeout=TIMEOUT) as client:
        while not stop.is_set():
            status = statuses[phase.updates % 2]
            body = {"status": status, "message": f"Update {phase.updates}: still on it."}
            (await client.post(url, json=body)).raise_for_status()
            phase.updates += 1
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass


async def measure(install: Install, phase: Phase, duration: float, current: list) -> None:
    before, started = _harness.session_cpu_seconds(install.session), time.monotonic()
    current[0] = phase
    await asyncio.sleep(duration)
    current[0] = None
    phase.seconds = time.monotonic() - started
    phase.cpu = (_harness.session_cpu_seconds(install.session) - before) / phase.seconds * 100


async def run(install: Install, args: argparse.Namespace) -> list[Phase]:
    room = f"/dashboard/{SLUG}/incidents/{install.incident}/"
    current: list[Phase | None] = [None]
    # The start's page rebuilds and the worker's first schedules are not the idle baseline.
    await asyncio.sleep(SETTLE_SECONDS)
    baseline = Phase("baseline: 0 viewers")
    progress(f"baseline: nobody polls for {args.duration} s")
    await measure(install, baseline, args.duration, current)

    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=install.base, timeout=TIMEOUT, limits=limits)
        for _ in range(args.viewers)
    ]
    # Two at a time: a sign-in hashes the password (PBKDF2, deliberately slow), and fifty at
    # once on two cores would time out.
    progress(f"signing {args.viewers} viewers in")
    gate = asyncio.Semaphore(2)

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            await sign_in(client)

    await asyncio.gather(*(one(client) for client in clients))
    viewers = [asyncio.create_task(viewer(c, room, current, stop)) for c in clients]
    await asyncio.sleep(POLL_SECONDS + 1)  # every viewer has opened the room and polls
    quiet = Phase(f"quiet room: {args.viewers} viewers, nothing changes")
    progress(f"{quiet.name}, {args.duration} s")
    await measure(install, quiet, args.duration, current)

    busy = Phase(f"busy room: {args.viewers} viewers, an update every {args.update_every:g} s")
    progress(f"{busy.name}, {args.duration} s")
    writing = asyncio.Event()
    posting = asyncio.create_task(writer(install, args.update_every, busy, writing))
    await measure(install, busy, args.duration, current)
    writing.set()
    stop.set()
    await asyncio.gather(posting, *viewers)
    for client in clients:
        await client.aclose()
    return [baseline, quiet, busy]


def report(phases: list[Phase]) -> None:
    baseline = phases[0].cpu
    print()
    print(f"{'phase':58} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU %':>6} {'+CPU':>6}")
    for p in phases:
        rps = sum(p.codes.values()) / p.seconds if p.seconds else 0.0
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(p.codes.items())) or "-"
        print(
            f"{p.name:58} {rps:7.1f} {percentile(p.latencies, 0.5):7.2f} "
            f"{percentile(p.latencies, 0.99):7.2f} {p.cpu:6.1f} {p.cpu - baseline:6.1f}"
        )
        extra = f"; {p.updates} updates posted" if p.updates else ""
        print(f"{'':4}answers: {codes}{extra}")
    print(
        "\nCPU %: user + system CPU of the server's process group (web server and worker) over "
        "the phase, in % of one core; +CPU: above the baseline."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--update-every", type=float, default=10.0, help="seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-room-") as name:
        tmp = Path(name)
        procs = Processes(tmp)
        try:
            install = start(tmp, procs)
            create_incident(install)
            progress(f"server up at {install.base}; incident {install.incident}")
            phases = asyncio.run(run(install, args))
        finally:
            procs.stop_all()
    report(phases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
