"""How a stored public page version reaches the web processes: PostgreSQL LISTEN/NOTIFY
against Redis pub/sub, measured in one run.

    .venv/bin/python bench/announce.py [--changes 500] [--database-url URL] [--redis-url URL]

Each change is what a build does: a transaction that inserts a row (a 20 kB document) and
announces it. With NOTIFY the announcement is part of the transaction (sent at commit);
with Redis it is a PUBLISH after the commit. A listener on its own connection takes the time
from just before the commit to the announcement's arrival, and then fetches the row, as a
web process does. Prints p50/p99 of both and the cost of the fetch."""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid

import psycopg
import redis

CHANNEL = f"bench_{uuid.uuid4().hex[:8]}"


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def measure(database_url: str, redis_url: str | None, changes: int, use_redis: bool) -> dict:
    sent: dict[int, float] = {}
    arrived: dict[int, float] = {}
    fetched: dict[int, float] = {}
    done = threading.Event()
    ready = threading.Event()
    table = f"bench_announce_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table} (id bigserial primary key, data bytea)")

    def listen() -> None:
        with psycopg.connect(database_url, autocommit=True) as reader:
            if use_redis:
                pubsub = redis.Redis.from_url(redis_url).pubsub()
                pubsub.subscribe(CHANNEL)
                pubsub.get_message(timeout=1)  # the subscribe confirmation
                ready.set()
                while len(arrived) < changes:
                    message = pubsub.get_message(timeout=1)
                    if message and message["type"] == "message":
                        _arrive(reader, int(message["data"]))
                pubsub.close()
            else:
                listener = psycopg.connect(database_url, autocommit=True)
                listener.execute(f"LISTEN {CHANNEL}")
                ready.set()
                while len(arrived) < changes:
                    for notice in listener.notifies(timeout=1, stop_after=1):
                        _arrive(reader, int(notice.payload))
                listener.close()
        done.set()

    def _arrive(reader: psycopg.Connection, number: int) -> None:
        arrived[number] = time.perf_counter()
        reader.execute(f"SELECT data FROM {table} WHERE id = %s", [number]).fetchone()
        fetched[number] = time.perf_counter()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    publisher = redis.Redis.from_url(redis_url) if use_redis else None
    payload = b"x" * 20_000
    with psycopg.connect(database_url) as writer:
        for _ in range(changes):
            with writer.transaction():
                row = writer.execute(
                    f"INSERT INTO {table} (data) VALUES (%s) RETURNING id", [payload]
                ).fetchone()
                if not use_redis:
                    writer.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(row[0])])
                sent[row[0]] = time.perf_counter()
            if publisher is not None:
                publisher.publish(CHANNEL, str(row[0]))
            time.sleep(0.005)
    done.wait(30)
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute(f"DROP TABLE {table}")
    delays = [(arrived[n] - sent[n]) * 1000 for n in arrived]
    fetches = [(fetched[n] - arrived[n]) * 1000 for n in fetched]
    return {"received": len(arrived), "delays": delays, "fetches": fetches}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print(f"{args.changes} changes each; from just before COMMIT to the listener")
    print(f"{'announcement':<28} {'received':>9} {'p50 ms':>8} {'p99 ms':>8} {'fetch p50':>10}")
    for name, use_redis in (("PostgreSQL NOTIFY", False), ("Redis PUBLISH after commit", True)):
        result = measure(args.database_url, args.redis_url, args.changes, use_redis)
        delays, fetches = result["delays"], result["fetches"]
        print(
            f"{name:<28} {result['received']:>9} {_pct(delays, 50):>8.2f} "
            f"{_pct(delays, 99):>8.2f} {_pct(fetches, 50):>10.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
