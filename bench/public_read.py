"""Public-read benchmark: how close Upstate's snapshot path comes to nginx serving the same
bytes as static files, and what the alternatives would cost.

    .venv/bin/python bench/public_read.py [--duration 10] [--connections 64 256]

Builds a throwaway demo installation, starts `upstate serve` (granian, one worker process) on
a free loopback port, exports the status page HTML and summary.json to a static root served
by Debian's nginx (one worker, access_log off), and loads each target with wrk. For choosing
the server it also measures a plain Django view (/healthz) in Upstate (granian RSGI, Django in
its own threads), on granian ASGI and on uvicorn. Everything binds to 127.0.0.1 and stops by
itself."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import _harness
import httpx
from _harness import (
    BIN,
    Processes,
    ensure_debian_packages,
    free_port,
    upstate_env,
    wait_until_up,
)

PAGE = "/p/acme/"
SUMMARY = "/p/acme/api/v2/summary.json"
DJANGO_VIEW = "/healthz"  # a small Django view with one query
NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ text/html html; application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
    }}
}}
"""


@dataclass(frozen=True)
class Target:
    name: str
    base: str
    path: str
    baseline: str  # the nginx target this one is compared with


@dataclass(frozen=True)
class Result:
    target: Target
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def ensure_tools() -> tuple[str, str]:
    """nginx and wrk from Debian, installed when missing and we may."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    wrk = shutil.which("wrk") or ""
    if not (nginx and wrk):
        ensure_debian_packages({"nginx-light": nginx, "wrk": wrk})
        return ensure_tools()
    return nginx, wrk


def export_static(base: str, root: Path) -> dict[str, bytes]:
    """Writes what Upstate serves to files nginx can serve; refuses anything but a 200."""
    exported = {}
    for path, filename in ((PAGE, "index.html"), (SUMMARY, "")):
        response = httpx.get(base + path, timeout=10)
        if response.status_code != 200:
            sys.exit(f"error: {path} answered {response.status_code}; is the snapshot path in?")
        target = root / path.lstrip("/") / filename if filename else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.content)
        exported[path] = response.content
    return exported


def start_nginx(procs: Processes, nginx: str, tmp: Path, root: Path) -> str:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=root))
    proc = procs.start("nginx", [nginx, "-p", str(tmp), "-c", str(conf), "-e", "stderr"], {})
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + SUMMARY, proc)
    return base


def start_upstate(procs: Processes, env: dict[str, str]) -> str:
    port = free_port()
    argv = [str(BIN / "upstate"), "serve", "--workers", "1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + DJANGO_VIEW, procs.start("upstate", argv, env))
    return base


def start_alternative(procs: Processes, name: str, env: dict[str, str]) -> str | None:
    """Plain Django (no snapshot path) on another server, or None if it is not installed."""
    port = free_port()
    common = ["--host", "127.0.0.1", "--port", str(port)]
    commands = {
        "granian-asgi": [
            str(BIN / "python"), "-m", "granian", "--interface", "asgi", "--factory",
            "--workers", "1", "--no-ws", *common, "django.core.asgi:get_asgi_application",
        ],
        "uvicorn": [
            str(BIN / "python"), "-m", "uvicorn", "--factory", "--workers", "1",
            "--no-access-log", "--lifespan", "off", *common,
            "django.core.asgi:get_asgi_application",
        ],
    }  # fmt: skip
    if name == "uvicorn" and not (BIN / "uvicorn").exists():
        return None
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + DJANGO_VIEW, procs.start(name, commands[name], env))
    return base


def run_wrk(wrk: str, target: Target, connections: int, duration: int) -> Result:
    r = _harness.run_wrk(wrk, target.base + target.path, connections, duration)
    return Result(target, connections, r.rps, r.p50_ms, r.p99_ms, r.errors)


def print_table(results: list[Result]) -> None:
    best = {(r.target.name, r.connections): r.rps for r in results}
    cells = ("target", "conns", "req/s", "p50 ms", "p99 ms", "vs nginx", "errors")
    header = "| " + " | ".join(f"{c:<42}" if i == 0 else f"{c:>9}" for i, c in enumerate(cells))
    header += " |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for r in results:
        nginx = best.get((r.target.baseline, r.connections))
        ratio = f"{r.rps / nginx:.2f}" if nginx else "-"
        print(
            f"| {r.target.name:<42} | {r.connections:>9} | {r.rps:>9.0f} | {r.p50_ms:>9.2f} "
            f"| {r.p99_ms:>9.2f} | {ratio:>9} | {r.errors:>9} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", type=int, nargs="+", default=[64, 256])
    parser.add_argument(
        "--no-alternatives", action="store_true", help="skip granian ASGI and uvicorn"
    )
    args = parser.parse_args()
    nginx, wrk = ensure_tools()

    with tempfile.TemporaryDirectory(prefix="upstate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx workers run as an unprivileged user when started by root
        env = upstate_env(tmp / "data")
        subprocess.run([str(BIN / "upstate"), "demo"], env=env, check=True, capture_output=True)
        procs = Processes(tmp)
        try:
            results = measure(args, procs, env, nginx, wrk, tmp)
        finally:
            procs.stop_all()
    print()
    print(
        f"{args.duration} s per run, wrk and the servers share {os.cpu_count()} CPUs on loopback."
    )
    print_table(results)
    return 0


def measure(
    args: argparse.Namespace, procs: Processes, env: dict[str, str], nginx: str, wrk: str,
    tmp: Path,
) -> list[Result]:  # fmt: skip
    upstate = start_upstate(procs, env)
    root = tmp / "static"
    exported = export_static(upstate, root)
    static = start_nginx(procs, nginx, tmp, root)
    for path, body in exported.items():
        if httpx.get(static + path, timeout=10).content != body:
            sys.exit(f"error: nginx does not serve the same bytes for {path}")
    print(f"page: {len(exported[PAGE])} bytes, summary.json: {len(exported[SUMMARY])} bytes")

    json_baseline, html_baseline = "nginx static: summary.json", "nginx static: page HTML"
    targets = [
        Target(json_baseline, static, SUMMARY, json_baseline),
        Target(html_baseline, static, PAGE, html_baseline),
        Target("upstate fast path: summary.json", upstate, SUMMARY, json_baseline),
        Target("upstate fast path: page HTML", upstate, PAGE, html_baseline),
        Target("upstate: Django view (its threads)", upstate, DJANGO_VIEW, json_baseline),
    ]
    if not args.no_alternatives:
        for name, label in (("granian-asgi", "granian ASGI"), ("uvicorn", "uvicorn ASGI")):
            base = start_alternative(procs, name, env)
            if base:
                targets.append(Target(f"{label}: Django view", base, DJANGO_VIEW, json_baseline))

    results = []
    for target in targets:
        run_wrk(wrk, target, 16, 1)  # warm up: imports, connections, caches
        for connections in args.connections:
            result = run_wrk(wrk, target, connections, args.duration)
            print(f"  {target.name:<42} c={connections:<4} {result.rps:>9.0f} req/s", flush=True)
            results.append(result)
    return results


if __name__ == "__main__":
    sys.exit(main())
