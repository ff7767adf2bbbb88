"""All outbound HTTP (webhooks, chat and SMS providers) goes through here: http(s) only,
timeouts, a few quick retries on network errors, no redirects, and private or loopback
addresses refused after DNS resolution unless the caller allows them.

The connection goes to the address that was checked (the URL's host travels in the Host
header and TLS SNI), so a DNS answer that changes between check and connect cannot smuggle
a request to an internal service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_DELAYS = (0.2, 1.0)  # network errors only; HTTP answers are the caller's to judge
MAX_RESPONSE_CHARS = 2000
USER_AGENT = "Upstate-Notifications/1.0"


class OutboundError(Exception):
    """A request that could not be made or got no answer; `permanent` when retrying is
    pointless (bad URL, forbidden address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Answer:
    status: int
    text: str  # at most MAX_RESPONSE_CHARS

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# IPv6 ranges that carry an IPv4 address in their last 32 bits: an IPv6 address there reaches
# (through a translator, a tunnel or a dual stack) the IPv4 address it embeds, so the IPv4
# rule decides. NAT64's well-known prefix (RFC 6052), IPv4-compatible (deprecated, RFC 4291),
# IPv4-translated (RFC 2765; IPv4-mapped has `ipv4_mapped`).
_LAST_32_BITS = tuple(
    ipaddress.ip_network(net) for net in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")
)
# Whole ranges never contacted: NAT64 for local use (RFC 8215), whose translator reaches the
# operator's own networks; the IPv4 address inside sits at a place that depends on its prefix.
_NEVER = (ipaddress.ip_network("64:ff9b:1::/48"),)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, compatible, NAT64, 6to4,
    Teredo (server and client) and ISATAP interface identifiers."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    packed = ip.packed
    if any(ip in net for net in _LAST_32_BITS) or packed[8:12] in (
        b"\x00\x00\x5e\xfe",
        b"\x02\x00\x5e\xfe",  # ISATAP: ::0:5efe:a.b.c.d / ::200:5efe:a.b.c.d
    ):
        found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _NEVER):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(_is_public(str(v4)) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to; raises OutboundError when the host has none allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"cannot resolve {host}: {exc}") from exc
    return _allowed_address(host, infos, allow_private=allow_private)


def _is_link_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_link_local


def _allowed_address(
    host: str, infos: list[Any], *, allow_private: bool, link_local: bool = True
) -> str:
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OutboundError(f"cannot resolve {host}")
    if not link_local:
        near = [a for a in addresses if _is_link_local(a)]
        if near:
            raise OutboundError(
                f"{host} resolves to a link-local address ({near[0]})", permanent=True
            )
    if not allow_private:
        private = [a for a in addresses if not _is_public(a)]
        if private:
            raise OutboundError(
                f"{host} resolves to a private or loopback address ({private[0]}); "
                "set UPSTATE_ALLOW_PRIVATE_TARGETS=True to allow it",
                permanent=True,
            )
    return addresses[0]


def _pinned(url: str, *, allow_private: bool) -> tuple[str, str, str]:
    """(URL with the host replaced by its checked address, Host header, TLS server name)."""
    parts, host, port = _split(url)
    return _pin(parts, host, port, resolve(host, port, allow_private=allow_private))


def _split(url: str) -> tuple[Any, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundError("only http and https URLs are allowed", permanent=True)
    host = parts.hostname
    if not host:
        raise OutboundError("the URL has no host", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundError("the URL has an invalid port", permanent=True) from exc
    return parts, host, port


def _pin(parts: Any, host: str, port: int, address: str) -> tuple[str, str, str]:
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return pinned, host_header, host


class Outbound:
    """An HTTP client for one batch of requests (connections are reused within it)."""

    def __init__(self, *, allow_private: bool = False, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.allow_private = allow_private
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def __enter__(self) -> Outbound:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def post(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> Answer:
        pinned, host_header, server_name = _pinned(url, allow_private=self.allow_private)
        all_headers = {"User-Agent": USER_AGENT, **(headers or {}), "Host": host_header}
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            try:
                response = self.client.post(
                    pinned,
                    content=content,
                    json=json,
                    data=data,
                    headers=all_headers,
                    auth=auth,
                    extensions={"sni_hostname": server_name},
                )
            except (httpx.TimeoutException, httpx.NetworkError) as exc:
                if delay is None:
                    raise OutboundError(
                        f"{type(exc).__name__} after {attempt + 1} tries: {exc}"
                    ) from exc
                time.sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise OutboundError(f"{type(exc).__name__}: {exc}") from exc
            return Answer(response.status_code, response.text[:MAX_RESPONSE_CHARS])
        raise AssertionError("unreachable")


# --- asyncio: the monitors' checks -----------------------------------------------------------


async def resolve_async(
    host: str, port: int, *, allow_private: bool, link_local: bool = True
) -> str:
    """`resolve` without blocking the event loop. `link_local=False` refuses link-local
    addresses (cloud metadata services) even where private ones are allowed."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # a literal address: nothing to look up (and no trip to the resolver thread)
        infos = [(0, 0, 0, "", (host, port))]
        return _allowed_address(host, infos, allow_private=allow_private, link_local=link_local)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"cannot resolve {host}: {exc}") from exc
    return _allowed_address(host, infos, allow_private=allow_private, link_local=link_local)


async def pinned_async(
    url: str, *, allow_private: bool, link_local: bool = True
) -> tuple[str, str, str]:
    """(URL with the host replaced by its checked address, Host header, TLS server name),
    for a request made with a shared `httpx.AsyncClient` and
    `extensions={"sni_hostname": server_name}`."""
    parts, host, port = _split(url)
    address = await resolve_async(host, port, allow_private=allow_private, link_local=link_local)
    return _pin(parts, host, port, address)
