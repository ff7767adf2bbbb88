"""Strict readers for configuration from the environment.

Every reader records the variable, its default and its help text in ``VARIABLES``: the
documentation's configuration table is generated from it (``upstate.lib.envdoc``), so the
table lists exactly what the code reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    """One environment variable as the documentation shows it."""

    name: str
    kind: str  # "text", "True/False", "integer", "number"
    default: str  # "" means unset
    help: str
    file: bool = False  # NAME_FILE may hold the value instead
    literal: bool = True  # the default is a value (shown as code), not words describing it


VARIABLES: dict[str, Variable] = {}


def _record(
    name: str, kind: str, default: object, help: str, shown: str | None, file: bool = False
) -> None:
    # The first reader with a help text describes the variable; later plain reads of the same
    # name (an alias checked twice, a second module) keep that description.
    if name in VARIABLES and (VARIABLES[name].help or not help):
        return
    if shown is not None:
        VARIABLES[name] = Variable(name, kind, shown, help, file, literal=False)
    else:
        text = "" if default in ("", None) else str(default)
        VARIABLES[name] = Variable(name, kind, text, help, file)


def declare(
    name: str, *, kind: str = "text", default: str = "", help: str, file: bool = False
) -> None:
    """Documents a variable read without these readers (e.g. before Django starts), or whose
    default is best described in words (`default` is such words)."""
    _record(name, kind, default, help, default or None, file)


def env_str(name: str, default: str = "", *, help: str = "", shown: str | None = None) -> str:
    """A string setting; `NAME_FILE` (a path) wins over `NAME`, for secrets kept in files.

    `shown` is the default as the documentation states it, when the literal default does not
    say it (e.g. "SQLite in the data directory")."""
    _record(name, "text", default, help, shown, file=True)
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False, *, help: str = "") -> bool:
    """Only `True` and `False` are accepted, so a typo never silently flips a switch."""
    _record(name, "True/False", default, help, None)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw == "True":
        return True
    if raw == "False":
        return False
    raise ConfigError(f"{name} must be True or False, not {raw!r}")


def env_int(name: str, default: int, *, help: str = "") -> int:
    _record(name, "integer", default, help, None)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float, *, help: str = "") -> float:
    _record(name, "number", default, help, None)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc
