"""Subscribers as CSV: the export's rows, and reading an import file into rows to create or
errors naming the line and the field. Reading changes nothing; services.import_subscribers
writes the rows, all or none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from upstate.lib.errors import InvalidInput
from upstate.pages.models import Component, StatusPage
from upstate.subscribers import services
from upstate.subscribers.models import Channel, Subscriber

COLUMNS = ["channel", "address", "components", "state", "confirmed_at", "created_at"]
REQUIRED = ["channel", "address"]
# Component names in the `components` column are separated by this.
SEPARATOR = ";"
MAX_BYTES = 1_000_000
# Spreadsheets run a cell starting with one of these as a formula (CSV injection): the export
# puts an apostrophe before it, which spreadsheets hide and the import removes.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportRow:
    line: int
    channel: Channel
    address: str
    components: list[Component]


@dataclass
class ImportPlan:
    """What an import would do: rows to create, rows already subscribed, and errors."""

    rows: list[ImportRow] = field(default_factory=list)
    existing: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def export_rows(subscribers: Iterable[Subscriber]) -> Iterator[list[str]]:
    yield COLUMNS
    for s in subscribers:
        yield [
            s.channel,
            _cell(s.address),
            _cell(SEPARATOR.join(c.name for c in s.components.all())),
            s.state.value,
            s.confirmed_at.isoformat() if s.confirmed_at else "",
            s.created_at.isoformat(),
        ]


def decode(data: bytes) -> str:
    """The file's text, or InvalidInput("file", ...)."""
    if len(data) > MAX_BYTES:
        raise InvalidInput("file", f"is larger than {MAX_BYTES // 1_000_000} MB; split it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", "is not UTF-8 text; save it as CSV UTF-8") from exc


class _Components:
    """Finds a page's components by name (case-insensitive) or code."""

    def __init__(self, page: StatusPage) -> None:
        self.by_code: dict[str, Component] = {}
        self.by_name: dict[str, list[Component]] = {}
        for c in Component.objects.filter(page=page):
            self.by_code[c.code] = c
            self.by_name.setdefault(c.name.casefold(), []).append(c)

    def find(self, value: str) -> list[Component]:
        """The named components; InvalidInput("components", ...) for unknown or ambiguous."""
        found: list[Component] = []
        for item in (v.strip() for v in value.split(SEPARATOR)):
            if not item:
                continue
            named = self.by_name.get(item.casefold(), [])
            if item in self.by_code:
                found.append(self.by_code[item])
            elif len(named) == 1:
                found.append(named[0])
            elif named:
                raise InvalidInput("components", f"{item!r} names several components; use its code")
            else:
                raise InvalidInput("components", f"no component {item!r} on this page")
        return found


def _header(reader: csv.reader) -> list[str]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            "header", f"the first line must name the columns; missing {', '.join(missing)}"
        )
    return header


def read(text: str, page: StatusPage) -> ImportPlan:
    """Check every row of an import file against `page`; nothing is written."""
    plan = ImportPlan()
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(reader)
    except InvalidInput as exc:
        plan.errors.append(RowError(1, exc.field, exc.message))
        return plan
    except csv.Error as exc:
        plan.errors.append(RowError(1, "file", f"is not valid CSV ({exc})"))
        return plan
    components = _Components(page)
    existing = set(Subscriber.objects.filter(page=page).values_list("channel", "address"))
    seen: dict[tuple[str, str], int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(plan.rows) + len(plan.existing) + len(plan.errors) >= MAX_ROWS:
                plan.errors.append(
                    RowError(line, "file", f"has more than {MAX_ROWS} rows; split it")
                )
                break
            record = {k: _uncell(v) for k, v in zip(header, values, strict=False)}
            row = _row(line, record, components, plan)
            if row is None:
                continue
            key = (row.channel.value, row.address)
            if key in seen:
                message = f"appears again (first on line {seen[key]})"
                plan.errors.append(RowError(line, "address", message))
            elif key in existing:
                plan.existing.append(row)
            else:
                seen[key] = line
                plan.rows.append(row)
    except csv.Error as exc:
        plan.errors.append(RowError(reader.line_num, "file", f"is not valid CSV ({exc})"))
    return plan


def _row(
    line: int, record: dict[str, str], components: _Components, plan: ImportPlan
) -> ImportRow | None:
    errors: list[RowError] = []
    value = (record.get("channel") or "").strip().lower()
    channel = Channel(value) if value in Channel.values else None
    if channel is None:
        errors.append(RowError(line, "channel", f"must be one of {', '.join(Channel.values)}"))
    address = ""
    if channel is not None:
        try:
            address = services.clean_address(channel, record.get("address", ""))
        except InvalidInput as exc:
            errors.append(RowError(line, exc.field, exc.message))
    chosen: list[Component] = []
    try:
        chosen = components.find(record.get("components") or "")
    except InvalidInput as exc:
        errors.append(RowError(line, exc.field, exc.message))
    plan.errors.extend(errors)
    if errors or channel is None:
        return None
    return ImportRow(line, channel, address, chosen)
