"""Request bodies as Statuspage's clients send them: JSON (with or without a Content-Type)
or Rails-style form fields (`incident[name]=…&incident[component_ids][]=…&
incident[components][<id>]=major_outage`), turned into the same nested dict; and the lenient
readings of values those clients need ("" is absent, "true"/"false" strings are booleans)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest
from django.utils.dateparse import parse_date, parse_datetime

from upstate.lib import text as accepted_text
from upstate.statuspage.errors import BadRequest, Unprocessable

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
MAX_DEPTH = 4


def _assign(target: dict[str, Any], key: str, value: str) -> None:
    match = _KEY_RE.match(key)
    if match is None:
        raise BadRequest(f"{key}: is not a valid form field name")
    parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    if len(parts) > MAX_DEPTH:
        raise BadRequest(f"{key}: is nested too deeply")
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if part == "":
            if not isinstance(node, list):
                raise BadRequest(f"{key}: mixes a list with named fields")
            if last:
                node.append(value)
                return
            node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise BadRequest(f"{key}: mixes a list with named fields")
        if last:
            node[part] = value
            return
        default: Any = [] if following == "" else {}
        node = node.setdefault(part, default)


def parse_form(text: str) -> dict[str, Any]:
    """`a[b][]=1&a[b][]=2&a[c][x]=y` -> {"a": {"b": ["1", "2"], "c": {"x": "y"}}}."""
    result: dict[str, Any] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:
        raise BadRequest("body: is not valid form data") from exc
    for key, value in pairs:
        _assign(result, key, value)
    return result


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's body as a dict, whatever the Content-Type claims: clients send JSON with
    none, and some send a form Content-Type on empty requests."""
    raw = request.body
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body: must be UTF-8 text") from exc
    content_type = request.content_type or ""
    stripped = text.lstrip()
    if content_type != "application/x-www-form-urlencoded" or stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            if content_type == "application/json":
                raise BadRequest("body: is not valid JSON") from None
            data = parse_form(text)
    else:
        data = parse_form(text)
    if not isinstance(data, dict):
        raise BadRequest("body: must be a JSON object")
    return data


def wrapped(data: dict[str, Any], key: str, *, unwrapped_ok: bool = False) -> dict[str, Any]:
    """The resource object under `key` ({"incident": {...}}); with `unwrapped_ok`, a body
    that is the object itself (some clients send component groups so)."""
    inner = data.get(key)
    if inner is None and unwrapped_ok:
        return {k: v for k, v in data.items() if k != key}
    if inner is None:
        if not data:
            return {}
        raise BadRequest(f"{key}: is required: send the fields inside an object named {key}")
    if not isinstance(inner, dict):
        raise BadRequest(f"{key}: must be an object")
    return inner


def present(value: Any) -> bool:
    """Statuspage's clients send "" (and Go's zero values, null) for fields they leave out."""
    return value is not None and value != ""


def boolean(field: str, value: Any, default: bool | None = None) -> bool | None:
    if not present(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise Unprocessable(f"{field}: must be true or false")


def text(field: str, value: Any, *, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Unprocessable(f"{field}: must be a string")
    if len(value) > limit:
        raise Unprocessable(f"{field}: must be at most {limit} characters")
    # Form posts from browsers and old tools end lines with CRLF; Upstate stores newlines.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    reason = accepted_text.problem(value)
    if reason is not None:
        raise Unprocessable(f"{field}: {reason}")
    return value


def moment(field: str, value: Any) -> datetime | None:
    """An ISO 8601 time (a date alone is its midnight UTC); None when absent."""
    if not present(value):
        return None
    if not isinstance(value, str):
        raise Unprocessable(f"{field}: must be an ISO 8601 date and time")
    try:
        parsed = parse_datetime(value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            parsed = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Unprocessable(
            f"{field}: must be an ISO 8601 date and time, e.g. 2024-05-20T02:00:00Z"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day(field: str, value: Any) -> date | None:
    if not present(value):
        return None
    try:
        parsed = parse_date(str(value).strip()[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise Unprocessable(f"{field}: must be a date like 2024-05-20")
    return parsed


def id_list(field: str, value: Any) -> list[str]:
    """A list of ids; a form's single value or a comma-separated string also count."""
    if not present(value):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, dict):  # form fields like x[0]=a&x[1]=b
        value = list(value.values())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unprocessable(f"{field}: must be a list of ids")
    if len(value) > 500:
        raise Unprocessable(f"{field}: must have at most 500 items")
    return [v for v in value if v]
