"""IPv6 forms of private IPv4 addresses are refused like the IPv4 addresses they lead to."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from upstate.lib.outbound import Outbound, OutboundError, resolve, resolve_async

# 169.254.169.254 (cloud metadata) and 10.0.0.1 in every IPv6 form that reaches them.
PRIVATE_IN_DISGUISE = [
    "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
    "64:ff9b:1::a9fe:a9fe",  # NAT64, local-use prefix
    "::a9fe:a9fe",  # IPv4-compatible
    "::ffff:a9fe:a9fe",  # IPv4-mapped
    "::ffff:0:a9fe:a9fe",  # IPv4-translated
    "2002:a9fe:a9fe::1",  # 6to4
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2a00:1450:4001::5efe:a00:1",  # ISATAP interface identifier of 10.0.0.1
    "::",
    "::1",
]
PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "2001:4860:4860::8888", "8.8.8.8"]


def resolve_in_loop(address: str) -> str:
    # A loop of its own in a thread of its own: a browser test earlier in the same process may
    # leave this thread looking as if a loop were running.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, resolve_async(address, 80, allow_private=False)).result()


@pytest.mark.parametrize("address", PRIVATE_IN_DISGUISE)
def test_it_refuses_ipv6_forms_of_private_ipv4(address: str) -> None:
    with pytest.raises(OutboundError, match="private or loopback") as caught:
        resolve(address, 80, allow_private=False)
    assert caught.value.permanent
    with pytest.raises(OutboundError, match="private or loopback"):
        resolve_in_loop(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_it_lets_ipv6_forms_of_public_ipv4_through(address: str) -> None:
    assert resolve(address, 80, allow_private=False) == address
    assert resolve_in_loop(address) == address


def test_a_webhook_to_nat64_metadata_address_is_never_sent() -> None:
    with Outbound() as http, pytest.raises(OutboundError, match="private or loopback"):
        http.post("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", json={})


def test_the_setting_still_allows_private_targets() -> None:
    assert resolve("64:ff9b::a9fe:a9fe", 80, allow_private=True) == "64:ff9b::a9fe:a9fe"
