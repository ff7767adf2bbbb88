"""Where `upstate import statuspage` reads a Statuspage account from: the live management API
(v1, paged) or a directory of the JSON documents that API returns (for installations that
cannot reach the internet). Both hand the importer the same lists of plain dicts, in the
field names of `upstate.statuspage.serializers`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx

from upstate.lib.errors import InvalidInput

Obj = dict[str, Any]
DEFAULT_BASE_URL = "https://api.statuspage.io/v1"
PER_PAGE = 100  # Statuspage's maximum page size
RETRIED = {420, 429, 500, 502, 503, 504}
MAX_WAIT = 30.0  # longest pause for a Retry-After

# kind -> (API path under /pages/{page_id}, first page number, file name stem of an export).
# Subscribers are the one list Statuspage numbers from 0 ("The first page is page 0").
KINDS: dict[str, tuple[str, int, str]] = {
    "component_groups": ("component-groups", 1, "component-groups"),
    "components": ("components", 1, "components"),
    "incident_templates": ("incident_templates", 1, "incident_templates"),
    "incidents": ("incidents", 1, "incidents"),
    "subscribers": ("subscribers", 0, "subscribers"),
}
# Extra query parameters: every subscriber (Statuspage lists only active ones by default).
EXTRA_PARAMS: dict[str, dict[str, str]] = {"subscribers": {"state": "all"}}


class FetchFailed(Exception):
    """Statuspage could not be read (after retries): the import of the kind stops."""


class Source(Protocol):
    def page(self) -> Obj | None: ...

    def fetch(self, kind: str, progress: Callable[[str], None]) -> list[Obj] | None:
        """Every object of `kind`, or None when the source does not hold that kind."""
        ...


def _deduplicated_pages(
    pages: Iterator[list[Obj]], progress: Callable[[str], None], label: str
) -> list[Obj]:
    """Objects of successive pages, each id once. Paging stops at an empty or short page, or
    after two full pages brought nothing new (a server numbering from 1 answers page 0 and
    page 1 alike; one that ignores `page` would repeat forever)."""
    seen: dict[str, Obj] = {}
    fruitless = 0
    for number, items in enumerate(pages, start=1):
        new = 0
        for item in items:
            key = str(item.get("id")) if isinstance(item, dict) else None
            if key is None:
                continue
            if key not in seen:
                new += 1
            seen[key] = item
        progress(f"fetched {label}: page {number}, {len(seen)} so far")
        if len(items) < PER_PAGE:
            break
        fruitless = 0 if new else fruitless + 1
        if fruitless >= 2:
            break
    return list(seen.values())


class ApiSource:
    """The live management API: `Authorization: OAuth <key>`, `page`/`per_page` paging,
    429/420 and 5xx retried with a growing pause (Retry-After honoured up to MAX_WAIT)."""

    def __init__(
        self,
        *,
        api_key: str,
        page_id: str,
        base_url: str = DEFAULT_BASE_URL,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        if not api_key.strip():
            raise InvalidInput("api-key", "must not be empty")
        if not page_id.strip():
            raise InvalidInput("page-id", "must not be empty")
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput("base-url", "must be an http or https URL")
        self.page_id = page_id.strip()
        self.retries = max(0, retries)
        self.backoff = backoff
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"OAuth {api_key.strip()}",
                "Accept": "application/json",
                "User-Agent": "upstate-import",
            },
            timeout=timeout,
        )

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"/pages/{self.page_id}{path}"
        shown = url + (f"?page={params['page']}" if params and "page" in params else "")
        last = ""
        last_response: httpx.Response | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._pause(attempt, last_response))
            last_response = None
            try:
                response = self.client.get(url, params=params)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            last_response = response
            if response.status_code in RETRIED:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code in (401, 403):
                raise InvalidInput(
                    "api-key", f"Statuspage refused the key (HTTP {response.status_code})"
                )
            if response.status_code == 404 and not path:
                raise InvalidInput("page-id", f"Statuspage has no page {self.page_id!r}")
            if response.status_code >= 400:
                raise FetchFailed(f"GET {shown} answered HTTP {response.status_code}")
            try:
                return response.json()
            except ValueError as exc:
                raise FetchFailed(f"GET {shown} did not answer JSON") from exc
        tries = self.retries + 1
        raise FetchFailed(
            f"GET {shown} failed {tries} time{'s' if tries > 1 else ''} (last: {last})"
        )

    def _pause(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_WAIT)
        return min(self.backoff * 2 ** (attempt - 1), MAX_WAIT)

    def page(self) -> Obj | None:
        found = self._get("")
        if not isinstance(found, dict):
            raise FetchFailed(f"GET /pages/{self.page_id} did not answer a page object")
        return found

    def fetch(self, kind: str, progress: Callable[[str], None]) -> list[Obj] | None:
        path, first, _ = KINDS[kind]

        def pages() -> Iterator[list[Obj]]:
            number = first
            while True:
                params = {"page": number, "per_page": PER_PAGE, "limit": PER_PAGE}
                found = self._get(f"/{path}", {**params, **EXTRA_PARAMS.get(kind, {})})
                if not isinstance(found, list):
                    raise FetchFailed(f"GET /pages/{self.page_id}/{path} did not answer a list")
                yield found
                number += 1

        return _deduplicated_pages(pages(), progress, kind.replace("_", " "))


def read_documents(path: Path) -> list[Any]:
    """The JSON values in a file, one after another: a file may hold one document or several
    concatenated (the pages of `for p in 1 2 3; do curl ...; done > incidents.json`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("from-dir", f"{path.name}: cannot be read ({exc})") from exc
    decoder = json.JSONDecoder()
    values, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return values
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                "from-dir", f"{path.name}: not JSON at line {exc.lineno} column {exc.colno}"
            ) from exc
        values.append(value)


class DirectorySource:
    """An export: `page.json` and one file per list endpoint (`components.json`,
    `component-groups.json`, `incidents.json` or `incidents-1.json`, `incidents-2.json`, ...,
    `incident_templates.json`, `subscribers.json`), each holding the API's answers."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise InvalidInput("from-dir", f"{directory} is not a directory")
        self.directory = directory

    def page(self) -> Obj | None:
        path = self.directory / "page.json"
        if not path.exists():
            return None
        found = read_documents(path)
        if len(found) != 1 or not isinstance(found[0], dict):
            raise InvalidInput("from-dir", "page.json: must hold one page object")
        return found[0]

    def _files(self, stem: str) -> list[Path]:
        def number(path: Path) -> int:
            tail = path.stem.rsplit("-", 1)[-1]
            return int(tail) if tail.isdigit() else 0

        single = self.directory / f"{stem}.json"
        numbered = [
            p for p in self.directory.glob(f"{stem}-*.json") if p.stem.rsplit("-", 1)[-1].isdigit()
        ]
        return ([single] if single.exists() else []) + sorted(numbered, key=number)

    def fetch(self, kind: str, progress: Callable[[str], None]) -> list[Obj] | None:
        files = self._files(KINDS[kind][2])
        if not files:
            return None
        pages: list[list[Obj]] = []
        for path in files:
            for value in read_documents(path):
                if not isinstance(value, list):
                    raise InvalidInput("from-dir", f"{path.name}: must hold JSON lists")
                pages.append(value)
        seen: dict[str, Obj] = {}
        for items in pages:
            for item in items:
                if isinstance(item, dict) and item.get("id") is not None:
                    seen[str(item["id"])] = item
        progress(f"read {kind.replace('_', ' ')}: {len(seen)} from {len(files)} file(s)")
        return list(seen.values())

    def close(self) -> None:
        pass
