"""Shields-style SVG status badges (label on grey, message on the status colour).

Text widths are estimated from Verdana's advance widths (the font shields.io uses) and pinned
with ``textLength``, so a badge has the same size whatever font the viewer substitutes.
"""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape, quoteattr

STYLES = ("flat", "flat-square", "for-the-badge")
DEFAULT_STYLE = "flat"
LABEL_MAX = 40

# Colours by status indicator (Statuspage's rollup values, plus "neutral").
COLOURS = {
    "none": "#2da44e",
    "minor": "#bf8700",
    "major": "#e16f24",
    "critical": "#cf222e",
    "maintenance": "#0969da",
    "neutral": "#6e7781",
}
LABEL_COLOUR = "#555"

# Verdana 11 px advance widths of the characters that differ most from the average.
_WIDTHS = {
    **dict.fromkeys("ijl|!'.,:;", 3.1),
    **dict.fromkeys("ftI()[] ", 3.9),
    **dict.fromkeys("r-", 4.7),
    **dict.fromkeys("mM", 10.7),
    **dict.fromkeys("wW", 9.3),
    **dict.fromkeys("ABCDGHKNOQRUVXY&", 7.8),
    "%": 12.0,
}
_DEFAULT_WIDTH = 6.9
_PADDING = 10  # each side of a text, together


def clean_label(value: str) -> str:
    """A label as a visitor may set it: printable characters only, at most LABEL_MAX."""
    text = "".join(c for c in value if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return " ".join(text.split())[:LABEL_MAX]


def text_width(text: str, upper: bool = False) -> float:
    if upper:
        # for-the-badge: 10 px capitals with 1.25 px letter spacing
        return sum(_WIDTHS.get(c, 7.6) * 10 / 11 + 1.25 for c in text)
    return sum(_WIDTHS.get(c, _DEFAULT_WIDTH) for c in text)


def render_badge(
    *, label: str, message: str, indicator: str, title: str, style: str = DEFAULT_STYLE
) -> bytes:
    """The SVG bytes; ``label`` may be empty (a message-only badge)."""
    style = style if style in STYLES else DEFAULT_STYLE
    big = style == "for-the-badge"
    if big:
        label, message = label.upper(), message.upper()
    colour = COLOURS.get(indicator, COLOURS["neutral"])
    pad = 24 if big else _PADDING
    label_w = round(text_width(label, big) + pad) if label else 0
    message_w = round(text_width(message, big) + pad)
    width, height = label_w + message_w, 28 if big else 20
    radius = 0 if style != "flat" else 3
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
    ]
    if style == "flat":
        parts.append(
            '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
            'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        )
    parts.append(
        f'<clipPath id="r"><rect width="{width}" height="{height}" rx="{radius}" '
        'fill="#fff"/></clipPath><g clip-path="url(#r)">'
    )
    if label:
        parts.append(f'<rect width="{label_w}" height="{height}" fill="{LABEL_COLOUR}"/>')
    parts.append(f'<rect x="{label_w}" width="{message_w}" height="{height}" fill="{colour}"/>')
    if style == "flat":
        parts.append(f'<rect width="{width}" height="{height}" fill="url(#s)"/>')
    parts.append("</g>")
    font = "Verdana,Geneva,DejaVu Sans,sans-serif"
    size = 10 if big else 11
    parts.append(
        f'<g fill="#fff" text-anchor="middle" font-family="{font}" font-size="{size}"'
        + (' letter-spacing="1.25"' if big else "")
        + ">"
    )
    baseline = 18 if big else 14
    if label:
        parts.append(_text(label, label_w / 2, baseline, label_w - pad, shadow=not big))
    parts.append(
        _text(message, label_w + message_w / 2, baseline, message_w - pad, not big, bold=big)
    )
    parts.append("</g></svg>")
    return "".join(parts).encode()


def _text(text: str, x: float, y: int, length: float, shadow: bool, bold: bool = False) -> str:
    body = escape(text)
    attrs = f'x="{x:g}" textLength="{length:g}" lengthAdjust="spacingAndGlyphs"'
    weight = ' font-weight="bold"' if bold else ""
    out = ""
    if shadow:
        out += f'<text {attrs} y="{y + 1}" fill="#010101" fill-opacity=".3">{body}</text>'
    return out + f'<text {attrs} y="{y}"{weight}>{body}</text>'
