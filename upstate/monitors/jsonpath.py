"""The small path language of an HTTP monitor's JSON check: names joined by dots, list
indexes in brackets (`status.indicator`, `checks[0].ok`, `[2].name`, `data["odd key"]`).
A library for full JSONPath would accept far more than a status check needs, and its error
messages would not say which step of the path is missing."""

from __future__ import annotations

import json
import re
from typing import Any

Step = str | int

_TOKEN = re.compile(r"""\.?([A-Za-z_$@-][\w$@-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]""")
MISSING = object()


def parse(path: str) -> list[Step]:
    """`checks[0].ok` -> ["checks", 0, "ok"]; raises ValueError naming what is wrong."""
    path = path.strip()
    if not path:
        raise ValueError("is empty")
    steps: list[Step] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or (match.group(1) and position > 0 and path[position] != "."):
            raise ValueError(f"cannot read {path[position:]!r} (at character {position + 1})")
        name, index, quoted = match.groups()
        if name is not None:
            if position == 0 and path.startswith("."):
                raise ValueError("must not start with a dot")
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(json.loads(quoted))
        position = match.end()
    return steps


def _shown(steps: list[Step]) -> str:
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_$@-][\w$@-]*", step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step)}]"
    return text


def lookup(document: Any, steps: list[Step]) -> Any:
    """The value at the path; raises LookupError saying which part is missing."""
    value = document
    for number, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                size = f"a list of {len(value)}" if isinstance(value, list) else _kind(value)
                raise LookupError(f"{_shown(steps[: number + 1])} is missing ({size})")
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                where = _shown(steps[:number]) or "the body"
                raise LookupError(
                    f"{_shown(steps[: number + 1])} is missing ({where} is "
                    f"{'an object without it' if isinstance(value, dict) else _kind(value)})"
                )
            value = value[step]
    return value


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def expected_matches(actual: Any, expected: str) -> bool:
    """`expected` as JSON when it parses (`true`, `3`, `"ok"`), else as text: `none` matches
    the string "none", and `true` matches both true and "true"."""
    expected = expected.strip()
    try:
        wanted = json.loads(expected)
    except ValueError:
        wanted = MISSING
    if wanted is not MISSING and actual == wanted and type(actual) is type(wanted):
        return True
    if isinstance(wanted, int | float) and not isinstance(wanted, bool):
        if isinstance(actual, int | float) and not isinstance(actual, bool):
            return actual == wanted
    return isinstance(actual, str) and actual == expected


def shown_value(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
