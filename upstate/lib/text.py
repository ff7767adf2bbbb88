"""What text Upstate accepts, and how text is made safe for XML documents.

Accepted: any Unicode text except control characters other than tab, newline and carriage
return (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F), lone surrogates (U+D800-U+DFFF,
which cannot be encoded) and the non-characters U+FFFE and U+FFFF. Everything refused here is
also what XML 1.0 forbids or discourages, so accepted text always fits in RSS, Atom, SVG and
HTML; a newline or a tab is ordinary text in a message.

Every boundary (API schemas, dashboard and public forms, the command line, monitors-as-code
files, inbound hooks) checks with ``problem``; documents that render stored text (which may
predate the rule) pass it through ``xml_safe``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Characters no text field may hold. Keep in step with the module docstring.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def problem(value: str) -> str | None:
    """Why ``value`` is not acceptable text, or None when it is."""
    found = _REFUSED.search(value)
    if found is None:
        return None
    code = ord(found.group())
    where = f"U+{code:04X} at position {found.start() + 1}"
    if 0xD800 <= code <= 0xDFFF:
        return f"must be valid Unicode text (a lone surrogate, {where})"
    if code in (0xFFFE, 0xFFFF):
        return f"must not contain non-characters ({where})"
    return f"must not contain control characters ({where}); only tab and newline are allowed"


def check(value: str) -> str:
    """``value`` when it is acceptable text; raises ValueError naming the reason otherwise."""
    reason = problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


def xml_safe(value: str) -> str:
    """``value`` without the characters XML cannot hold: for rendering text stored before the
    rule above, or arriving from somewhere it was never checked."""
    return _REFUSED.sub("", value)


# The same characters in UTF-8: C0 and DEL are single bytes (which never occur inside a
# longer sequence), C1 follow \xc2, U+FFFE/U+FFFF are \xef\xbf\xbe/\xbf. (Lone surrogates
# cannot be in UTF-8 bytes at all.)
_REFUSED_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# One pattern per lead: a pattern starting with a literal is searched for like a substring,
# eight times faster than one alternation on a page's largest documents, which every build
# passes through here (bench/write_storm.py).
_REFUSED_SEQUENCES = (re.compile(rb"\xc2[\x80-\x9f]"), re.compile(rb"\xef\xbf[\xbe\xbf]"))


def xml_safe_bytes(body: bytes) -> bytes:
    """``xml_safe`` for a UTF-8 document already rendered."""
    body = body.translate(None, _REFUSED_BYTES)
    for pattern in _REFUSED_SEQUENCES:
        body = pattern.sub(b"", body)
    return body


def first_problem(values: Mapping[str, object]) -> tuple[str, str] | None:
    """(name, reason) of the first text in ``values`` (a string or a list of strings, such as
    command-line arguments) that is not acceptable; None when all are."""
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and (reason := problem(item)) is not None:
                return name, reason
    return None
