"""What the `upstate` command promises a terminal and a script: exit codes, one-line errors
instead of tracebacks for mistakes, output that can be piped into `head` or `jq`, and a
database that is ready (or a line saying what to run) before a command touches it."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from enum import IntEnum
from typing import Any


class Exit(IntEnum):
    OK = 0
    FAILURE = 1  # the command ran and something failed (e.g. `doctor` found a problem)
    USAGE = 2  # a usage, configuration or input mistake: the message says what to fix
    UNAVAILABLE = 3  # a service the command needs (the database) does not answer
    INTERRUPTED = 130  # Ctrl-C


class CommandError(Exception):
    """A mistake or condition the user can act on: printed as one line, never a traceback."""

    def __init__(self, field: str, message: str, code: Exit = Exit.USAGE) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


def error_line(field: str, message: str) -> str:
    return f"upstate: error: {field}: {message}"


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def print_json(document: Any) -> None:
    """One JSON document on stdout (for `jq`): UTF-8, no ASCII escapes, stable key order."""
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def table(rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last column is left as it is."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def reader_gone() -> None:
    """The reader of our output closed it (`| head -1`): stop quietly. Later writes, and the
    interpreter's flush at exit, go to /dev/null instead of raising BrokenPipeError again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def flush_stdout() -> None:
    """Flush inside the command, so that a closed pipe is noticed where it is handled."""
    sys.stdout.flush()


def database_ready(*, prepare: bool = True) -> None:
    """A command about to use the database: a new, empty one gets its tables (quietly, one
    line on stderr); one with some migrations pending belongs to an older version of Upstate
    and is upgraded only on purpose (`upstate migrate`, or `upstate serve` which runs it)."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        applied = bool(executor.loader.applied_migrations)
    except DatabaseError as error:
        raise CommandError(
            "database", f"unreachable ({first_line(error)})", Exit.UNAVAILABLE
        ) from error
    if not pending:
        return
    if applied or not prepare:
        what = "has no tables yet" if not applied else f"lacks {len(pending)} migrations"
        raise CommandError("database", f"{what}; run `upstate migrate` first")
    from upstate.server import migrate

    migrate(verbosity=0)
    print(f"upstate: prepared a new database ({_where()})", file=sys.stderr)


def _where() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return str(connection.settings_dict["NAME"])
    return f"{connection.vendor} database {connection.settings_dict.get('NAME', '')}"
