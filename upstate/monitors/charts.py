"""The response-time chart as inline SVG, drawn on the server (no script, no chart library):
a line of average latency per bucket, red ticks where checks failed, and hour labels."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.html import escape

from upstate.monitors.stats import Point

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 24
AXIS = 'fill="#667085" font-size="11"'
FAILED = 'fill="#f04438" fill-opacity="0.45"'


def _nice_max(value: float) -> float:
    for step in (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000):
        if value <= step:
            return float(step)
    return value


def response_time_svg(points: list[Point], *, since: datetime, until: datetime, title: str) -> str:
    span = (until - since).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    measured = [p.latency_ms for p in points if p.latency_ms is not None]
    top = _nice_max(max(measured, default=10.0))

    def x(moment: datetime) -> float:
        return LEFT + plot_w * (moment - since).total_seconds() / span

    def y(ms: float) -> float:
        return TOP + plot_h * (1 - ms / top)

    parts = [
        f'<svg class="chart" width="100%" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        level = top * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            'stroke="#e4e7ec"/>'
            f'<text x="{LEFT - 6}" y="{y(level) + 4:.1f}" {AXIS} text-anchor="end">'
            f"{level:.0f} ms</text>"
        )
    hour = since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour < until:
        if hour.hour % 3 == 0:
            parts.append(
                f'<text x="{x(hour):.1f}" y="{HEIGHT - 6}" {AXIS} text-anchor="middle">'
                f"{hour:%H:%M}</text>"
            )
        hour += timedelta(hours=1)
    for point in points:
        if point.failures:
            px = x(point.start)
            parts.append(
                f'<rect x="{px:.1f}" y="{TOP}" width="3" height="{plot_h}" {FAILED}>'
                f"<title>{point.failures} of {point.checks} checks failed at "
                f"{point.start:%H:%M} UTC</title></rect>"
            )
    line = " ".join(
        f"{x(p.start):.1f},{y(p.latency_ms):.1f}" for p in points if p.latency_ms is not None
    )
    if line:
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="1.5"/>')
    else:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" {AXIS} text-anchor="middle">'
            "No checks in this period yet</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
