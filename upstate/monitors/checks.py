"""The checks themselves, as coroutines: one HTTP(S) request, one TCP connection or one DNS
query per call, each bounded by the monitor's timeout. They touch no database: the scheduler
(and "test now") hand them a `Spec` and store the `Outcome`.

HTTP goes through `upstate.lib.outbound` (http(s) only, the checked address is the one
connected to, private addresses refused unless UPSTATE_ALLOW_PRIVATE_TARGETS=True), with one
`httpx.AsyncClient` shared by all checks. Redirects are followed here, hop by hop, rather than
by httpx: each hop's address goes through the same policy as the first, and a redirect never
leads to a link-local address (a cloud's metadata service), whatever the policy allows.
Connections are not kept alive: each check measures a whole request (connect, TLS, answer),
and a connection set up for one host name is never reused for another that happens to share
its address.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import certifi
import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx

from upstate.lib.outbound import OutboundError, pinned_async, resolve_async
from upstate.lib.text import xml_safe
from upstate.monitors import jsonpath

USER_AGENT = "Upstate-Monitor/1.0"
MAX_BODY = 1_000_000  # bytes read looking for the keyword or the JSON value
# Headers that must not follow a redirect to another host (as browsers and httpx do).
PRIVATE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
MAX_REASON = 255


@dataclass(frozen=True)
class Spec:
    """What one check needs, copied from a Monitor so checks run without the database."""

    id: int
    kind: str
    interval: int
    timeout: float
    url: str = ""
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    expected_statuses: str = "200-299"
    keyword: str = ""
    keyword_absent: bool = False
    max_response_ms: int | None = None
    json_path: str = ""
    json_expected: str = ""
    follow_redirects: bool = True
    max_redirects: int = 5
    cert_expiry_days: int = 0
    host: str = ""
    port: int | None = None
    record_type: str = "A"
    expected_value: str = ""
    dns_server: str = ""

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str = ""
    latency_ms: int | None = None
    status_code: int | None = None

    def __post_init__(self) -> None:
        # The reason quotes what a checked server sent: it is stored (PostgreSQL refuses NUL)
        # and may become an incident's public message, so only accepted text is kept.
        object.__setattr__(self, "reason", xml_safe(self.reason))


def parse_statuses(spec: str) -> list[tuple[int, int]]:
    """ "200-299,301" -> [(200, 299), (301, 301)]; raises ValueError on anything else."""
    ranges = []
    for item in spec.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d{3})(?:-(\d{3}))?", item)
        if not match:
            raise ValueError(f"{item!r} is not a status code or range like 200-299")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 100 <= low <= high <= 599:
            raise ValueError(f"{item!r} is not a range of status codes between 100 and 599")
        ranges.append((low, high))
    return ranges


def _expected(status: int, spec: str) -> bool:
    return any(low <= status <= high for low, high in parse_statuses(spec))


def _ms(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))


def _short(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


@functools.lru_cache(maxsize=4)
def ssl_context(extra_ca_file: str = "") -> ssl.SSLContext:
    """The public CAs, plus the installation's own (UPSTATE_MONITOR_CA_FILE) when given.
    Built once: loading the CA bundle costs more than a check."""
    context = ssl.create_default_context(cafile=certifi.where())
    if extra_ca_file:
        context.load_verify_locations(cafile=extra_ca_file)
    return context


def new_client(*, concurrency: int, extra_ca_file: str = "") -> httpx.AsyncClient:
    """The client all HTTP checks of a scheduler share."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    return httpx.AsyncClient(
        limits=limits, verify=ssl_context(extra_ca_file), follow_redirects=False
    )


def _cert_days_left(response: httpx.Response) -> float | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert or "notAfter" not in cert:
        return None
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    return (expires - datetime.now(UTC)).total_seconds() / 86400


def _network_reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = text.split("certificate verify failed:")[-1].split("(")[0].strip(" ):")
        return f"TLS certificate is not valid: {detail or text}"
    return f"{type(exc).__name__}: {text}"


class _Refused(Exception):
    """A redirect the check will not follow; the message is the check's reason."""


async def check_http(spec: Spec, client: httpx.AsyncClient, *, allow_private: bool) -> Outcome:
    url, method, headers = spec.url, spec.method, dict(spec.headers)
    redirects = 0
    start = time.perf_counter()
    try:
        while True:
            try:
                # Hops after the first never go to a link-local address.
                pinned, host_header, server_name = await pinned_async(
                    url, allow_private=allow_private, link_local=redirects == 0
                )
            except OutboundError as exc:
                if redirects == 0:
                    return Outcome(False, _short(str(exc)))
                raise _Refused(f"redirected to {url}: {exc}") from exc
            request = client.build_request(
                method,
                pinned,
                headers={"User-Agent": USER_AGENT, **headers, "Host": host_header},
                timeout=spec.timeout,
                extensions={"sni_hostname": server_name},
            )
            response = await client.send(request, stream=True)
            location = response.headers.get("location")
            if not (spec.follow_redirects and response.is_redirect and location):
                break
            await response.aclose()
            redirects += 1
            if redirects > spec.max_redirects:
                raise _Refused(f"more than {spec.max_redirects} redirects (last to {location})")
            next_url = urljoin(url, location)
            if urlsplit(next_url).hostname != urlsplit(url).hostname:
                headers = {k: v for k, v in headers.items() if k.lower() not in PRIVATE_HEADERS}
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method = "GET"  # what browsers and httpx do
            url = next_url
        try:
            body = b""
            if spec.keyword or spec.json_path:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= MAX_BODY:
                        break
            days_left = _cert_days_left(response)
        finally:
            await response.aclose()
    except _Refused as exc:
        return Outcome(False, _short(str(exc)), _ms(start))
    except httpx.HTTPError as exc:
        return Outcome(False, _short(_network_reason(exc)), _ms(start))
    latency = _ms(start)
    status = response.status_code
    return _judge_http(spec, status, body, latency, days_left)


def _judge_json(spec: Spec, body: bytes) -> str | None:
    """Why the body's JSON value is not the expected one; None when it is."""
    try:
        document = json.loads(body)
    except ValueError:
        size = "more than 1 MB" if len(body) >= MAX_BODY else "not valid JSON"
        return f"the body is {size}, so {spec.json_path} cannot be read"
    try:
        value = jsonpath.lookup(document, jsonpath.parse(spec.json_path))
    except (LookupError, ValueError) as exc:
        return str(exc)
    if spec.json_expected and not jsonpath.expected_matches(value, spec.json_expected):
        shown = jsonpath.shown_value(value)
        return f"{spec.json_path} is {shown}, expected {spec.json_expected.strip()}"
    return None


def _judge_http(
    spec: Spec, status: int, body: bytes, latency: int, days_left: float | None
) -> Outcome:
    if not _expected(status, spec.expected_statuses):
        return Outcome(False, f"HTTP {status}, expected {spec.expected_statuses}", latency, status)
    if spec.keyword:
        found = spec.keyword.encode() in body
        if found and spec.keyword_absent:
            return Outcome(False, _short(f"found {spec.keyword!r}"), latency, status)
        if not found and not spec.keyword_absent:
            return Outcome(False, _short(f"{spec.keyword!r} not found"), latency, status)
    if spec.json_path:
        problem = _judge_json(spec, body)
        if problem is not None:
            return Outcome(False, _short(problem), latency, status)
    if spec.max_response_ms and latency > spec.max_response_ms:
        reason = f"answered in {latency} ms, more than {spec.max_response_ms} ms"
        return Outcome(False, reason, latency, status)
    if spec.cert_expiry_days and days_left is not None and days_left < spec.cert_expiry_days:
        reason = f"TLS certificate expires in {max(0, int(days_left))} days"
        return Outcome(False, reason, latency, status)
    return Outcome(True, f"HTTP {status}", latency, status)


async def check_tcp(spec: Spec, *, allow_private: bool) -> Outcome:
    try:
        address = await resolve_async(spec.host, spec.port or 0, allow_private=allow_private)
    except OutboundError as exc:
        return Outcome(False, _short(str(exc)))
    start = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address, spec.port), timeout=spec.timeout
        )
    except TimeoutError:
        return Outcome(False, "timed out", _ms(start))
    except OSError as exc:
        text = os.strerror(exc.errno) if exc.errno else str(exc)
        return Outcome(False, _short(f"cannot connect: {text}"), _ms(start))
    latency = _ms(start)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return Outcome(True, "connected", latency)


def _dns_server(value: str) -> tuple[str, int]:
    """ "192.0.2.53" or "192.0.2.53:5353" or "[2001:db8::53]:53"."""
    if value.startswith("["):
        host, _, port = value[1:].partition("]:")
        return host.rstrip("]"), int(port or 53)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, 53


def _answer_text(rdata: object) -> str:
    text = rdata.to_text()  # type: ignore[attr-defined]
    return text.strip('"').rstrip(".").lower()


async def check_dns(spec: Spec, *, allow_private: bool) -> Outcome:
    resolver = dns.asyncresolver.Resolver(configure=not spec.dns_server)
    if spec.dns_server:
        host, port = _dns_server(spec.dns_server)
        try:
            address = await resolve_async(host, port, allow_private=allow_private)
        except OutboundError as exc:
            return Outcome(False, _short(str(exc)))
        resolver.nameservers = [address]
        resolver.port = port
    resolver.lifetime = spec.timeout
    start = time.perf_counter()
    try:
        answer = await resolver.resolve(spec.host, spec.record_type)
    except dns.resolver.NXDOMAIN:
        return Outcome(False, f"{spec.host} does not exist", _ms(start))
    except dns.resolver.NoAnswer:
        return Outcome(False, f"no {spec.record_type} record for {spec.host}", _ms(start))
    except dns.exception.Timeout:
        return Outcome(False, "timed out", _ms(start))
    except dns.exception.DNSException as exc:
        return Outcome(False, _short(f"DNS error: {exc}"), _ms(start))
    latency = _ms(start)
    values = [_answer_text(rdata) for rdata in answer]
    wanted = spec.expected_value.strip().rstrip(".").lower()
    if wanted and not any(v == wanted or v.endswith(" " + wanted) for v in values):
        return Outcome(False, _short(f"got {', '.join(values)}, expected {wanted}"), latency)
    return Outcome(True, _short(", ".join(values)), latency)


async def run_check(
    spec: Spec, client: httpx.AsyncClient | None, *, allow_private: bool
) -> Outcome:
    """One check of any active kind; never raises, never outlasts the timeout by much."""
    try:
        async with asyncio.timeout(spec.timeout + 1):
            if spec.kind == "http":
                assert client is not None
                return await check_http(spec, client, allow_private=allow_private)
            if spec.kind == "tcp":
                return await check_tcp(spec, allow_private=allow_private)
            if spec.kind == "dns":
                return await check_dns(spec, allow_private=allow_private)
    except TimeoutError:
        return Outcome(False, "timed out")
    except Exception as exc:  # a check must never take the scheduler down
        return Outcome(False, _short(f"check failed: {type(exc).__name__}: {exc}"))
    return Outcome(False, f"{spec.kind} monitors are not checked by requests")
