"""Statuspage import benchmark (target: 1,000 incidents with 4 updates each in under 60 s).

    .venv/bin/python bench/import_statuspage.py [--incidents 1000] [--updates 4]
        [--database-url postgres://...]

Serves a generated Statuspage account (the tests' fake_account: components in groups,
templates, subscribers of each kind, the incidents paged 100 at a time) on a loopback HTTP
server, prepares a throwaway installation (SQLite in a new data directory unless
--database-url), then times `upstate import statuspage` end to end in a subprocess: fetching
every page, writing every kind, rebuilding the public page once. It prints the time, the
incidents per second and the load average, and runs the import a second time (everything
unchanged) to show what an idempotent re-run costs."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
UPSTATE = Path(sys.executable).with_name("upstate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=4, help="updates per incident")
    parser.add_argument("--database-url", help="default: SQLite in a throwaway data directory")
    args = parser.parse_args()

    from upstate.statuspage.tests.fake_account import (
        API_KEY,
        PAGE_ID,
        AccountServer,
        make_account,
        serving,
    )

    data = Path(tempfile.mkdtemp(prefix="upstate-bench-import-"))
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "UPSTATE_TASKS_IMMEDIATE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(UPSTATE_DATA_DIR=str(data), EMAIL_URL="dummy://")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    try:
        account = make_account(incidents=args.incidents, updates_each=args.updates)
        for step in (["migrate"], ["org", "create", "bench", "--name", "Bench"]):
            subprocess.run([UPSTATE, *step], env=env, check=True, capture_output=True)
        with serving(AccountServer(account)) as server:
            command = [
                UPSTATE, "import", "statuspage", "--org", "bench", "--page", "bench",
                "--trust-confirmed", "--api-key", API_KEY, "--page-id", PAGE_ID,
                "--base-url", server.base_url,
            ]  # fmt: skip
            timings = []
            for run in ("first import", "second import (unchanged)"):
                started = time.perf_counter()
                result = subprocess.run(command, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - started
                if result.returncode != 0:
                    print(result.stdout, result.stderr, file=sys.stderr)
                    return 1
                timings.append((run, elapsed, result.stdout))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    total = len(account.incidents)
    print(f"account: {total} incidents ({args.incidents} with {args.updates} updates each, "
          f"{total - args.incidents} maintenance), served 100 per page")  # fmt: skip
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    for run, elapsed, _ in timings:
        print(f"{run}: {elapsed:.1f} s, {total / elapsed:.0f} incidents/s (whole command)")
    print(timings[0][2].strip())
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
