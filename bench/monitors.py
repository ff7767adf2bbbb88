"""Monitor benchmark: K HTTP monitors against a local target, checked by the real worker.

    .venv/bin/python bench/monitors.py                  # 1,000 monitors every 30 s
    .venv/bin/python bench/monitors.py --monitors 2000 --interval 30 --duration 120

Prints the checks per second sustained, the scheduling delay (actual minus planned start,
p50/p99), the worker's CPU use (user + system time of the `upstate worker` process over the
measured window, as a share of one core), the CPU cost per check beside a bare httpx client
making the same requests in this process (the floor), and the time from a target going down
to its incident on the public page (summary.json served by `upstate web`).

The target is a small asyncio HTTP server in its own process (so its CPU is not counted);
one extra "canary" monitor, whose path the bench switches to answer 500, opens the incident.
Targets: 1,000 monitors at 30 s under 25 % of one core, p99 scheduling delay under 1 s,
detection-to-public within canary interval x failures before opening + 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target(port: int, down, ready) -> None:  # noqa: ANN001
    """HTTP/1.1 on loopback: 200 "ok", or 500 on /canary while `down` is set."""

    class Answer(asyncio.Protocol):
        def connection_made(self, transport) -> None:  # noqa: ANN001
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            path = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b"/"
            failing = path == b"/canary" and down.value
            status = b"500 Internal Server Error" if failing else b"200 OK"
            self.transport.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            )
            self.transport.close()

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(
            Answer, "127.0.0.1", port, backlog=4096
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _baseline(url: str, requests: int, concurrency: int) -> float:
    """CPU seconds per request of a bare httpx.AsyncClient (no keep-alive, as the checks)."""
    import httpx

    async def run() -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits) as client:
            slots = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with slots:
                    (await client.get(url)).raise_for_status()

            await asyncio.gather(*(one() for _ in range(requests)))

    started = time.process_time()
    asyncio.run(run())
    return (time.process_time() - started) / requests


def _percentile(values: list[int], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--monitors", type=int, default=1000, help="HTTP monitors (1,000)")
    parser.add_argument("--interval", type=int, default=30, help="their interval, s (30)")
    parser.add_argument("--duration", type=int, default=60, help="measured window, s (60)")
    parser.add_argument(
        "--canary-interval", type=int, default=10, help="interval of the canary monitor (10)"
    )
    parser.add_argument("--failures", type=int, default=3, help="canary's failures before open")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="upstate-bench-monitors-"))
    target_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "UPSTATE_DATA_DIR": str(data),
        "UPSTATE_TASKS_IMMEDIATE": "False",
        "UPSTATE_LOG_LEVEL": "WARNING",
        "UPSTATE_QUEUE_NAME": f"bench-monitors-{os.getpid()}",
        "UPSTATE_ALLOW_PRIVATE_TARGETS": "True",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upstate.settings")

    down = multiprocessing.Value("b", 0)
    ready = multiprocessing.Event()
    target = multiprocessing.Process(target=_target, args=(target_port, down, ready), daemon=True)
    target.start()
    ready.wait(10)
    base = f"http://127.0.0.1:{target_port}"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from upstate.monitors.models import CheckResult
    from upstate.monitors.services import create_monitor
    from upstate.orgs.services import create_org
    from upstate.pages.services import create_component, create_page

    if connection.vendor != "sqlite":
        print("using", connection.settings_dict["NAME"], "- it must be an empty database")
    call_command("migrate", verbosity=0)
    slug = f"bench{os.getpid()}"
    org = create_org(slug=slug, name="Bench")
    page = create_page(org=org, name="Bench Status", slug=slug)
    component = create_component(page=page, name="API")
    print(f"creating {args.monitors:,} monitors...", flush=True)
    with transaction.atomic():
        for i in range(args.monitors):
            create_monitor(
                org=org,
                name=f"Service {i}",
                kind="http",
                url=f"{base}/m/{i}",
                interval_seconds=args.interval,
                timeout_seconds=5,
                create_incident=False,
            )
        create_monitor(
            org=org,
            name="Canary",
            kind="http",
            url=f"{base}/canary",
            interval_seconds=args.canary_interval,
            timeout_seconds=5,
            failures_before_open=args.failures,
            page=page,
            component=component,
        )
    connection.close()

    per_request = _baseline(f"{base}/baseline", 2000, 50)
    print(f"baseline: bare httpx.AsyncClient, {per_request * 1e3:.2f} ms CPU per request")

    worker = subprocess.Popen([sys.executable, "-m", "upstate.cli", "worker"], env=env, cwd=ROOT)
    web = subprocess.Popen(
        [sys.executable, "-m", "upstate.cli", "web", "--port", str(web_port), "--threads", "4"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        warmup = args.interval + 5
        print(f"warming up for {warmup} s (the first round is spread over the interval)...")
        time.sleep(warmup)
        window_start = time.time()
        cpu_before = _cpu_seconds(worker.pid)
        print(f"measuring for {args.duration} s...", flush=True)
        time.sleep(args.duration)
        cpu = _cpu_seconds(worker.pid) - cpu_before
        window_end = time.time()
        elapsed = window_end - window_start
        from datetime import UTC, datetime

        rows = CheckResult.objects.filter(
            checked_at__gte=datetime.fromtimestamp(window_start, UTC),
            checked_at__lt=datetime.fromtimestamp(window_end - 2, UTC),
        )
        lags = list(rows.values_list("lag_ms", flat=True))
        failed = rows.filter(ok=False).exclude(monitor__name="Canary").count()
        checks = len(lags)
        rate = checks / (elapsed - 2)
        expected = args.monitors / args.interval + 1 / args.canary_interval
        share = 100 * cpu / elapsed
        print(
            f"checks: {rate:,.1f}/s sustained (planned {expected:,.1f}/s), {failed} failed\n"
            f"scheduling delay: p50 {_percentile(lags, 0.5):.0f} ms, "
            f"p99 {_percentile(lags, 0.99):.0f} ms, max {max(lags, default=0)} ms "
            f"(target p99 < 1000 ms)\n"
            f"worker CPU: {share:.1f} % of one core (target < 25 %); "
            f"{cpu / max(checks, 1) * 1e3:.2f} ms per check = "
            f"{cpu / max(checks, 1) / per_request:.1f}x a bare httpx request"
        )

        import httpx

        summary = f"http://127.0.0.1:{web_port}/p/{slug}/api/v2/incidents/unresolved.json"
        assert httpx.get(summary).json()["incidents"] == []
        down.value = 1
        went_down = time.monotonic()
        went_down_at = time.time()
        budget = args.canary_interval * args.failures + 2
        seen = None
        while time.monotonic() - went_down < budget + 60:
            if httpx.get(summary).json()["incidents"]:
                seen = time.monotonic() - went_down
                break
            time.sleep(0.1)
        if seen is None:
            print("detection-to-public: the incident never appeared")
            return 1
        print(
            f"detection-to-public: {seen:.1f} s (target <= {args.canary_interval} s x "
            f"{args.failures} + 2 s = {budget} s)"
        )
        from upstate.incidents.models import Incident

        failed = CheckResult.objects.filter(monitor__name="Canary", ok=False).order_by("checked_at")
        steps = [f"{r.checked_at.timestamp() - went_down_at:.1f} s" for r in failed[:3]]
        incident = Incident.objects.get()
        written = max(f.stat().st_mtime for f in (data / "snapshots").rglob("*") if f.is_file())
        print(
            f"  failed checks at {', '.join(steps)} after the target went down; incident "
            f"created at {incident.created_at.timestamp() - went_down_at:.1f} s, public page "
            f"written at {written - went_down_at:.1f} s"
        )
    finally:
        worker.terminate()
        web.terminate()
        worker.wait()
        web.wait()
        target.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
