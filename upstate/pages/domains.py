"""Custom domains: which names a page may claim, and the proof that its organization holds
the one it claims (a DNS TXT record), checked by the worker.

A claimed domain is neither served nor used in links until verified: several pages may claim
one, only one may hold it verified (a database constraint), and a verified domain whose
record is gone is given up on the daily re-check, so a domain that changes hands follows.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from upstate.audit.services import record
from upstate.pages.models import StatusPage
from upstate.public.publish import request_rebuild

log = logging.getLogger(__name__)

CHALLENGE_LABEL = "_upstate-challenge"
VALUE_PREFIX = "upstate-verify="
# How often the worker looks again: a claim not yet proven (people add the record and wait),
# and a proven one (is the record still there?).
PENDING_EVERY = timedelta(minutes=5)
VERIFIED_EVERY = timedelta(hours=24)
LOOKUP_SECONDS = 5.0
# Names that never lead to the public internet (RFC 6761, 6762, 8375, ICANN's .internal).
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


def own_host() -> str:
    return (urlsplit(settings.PUBLIC_URL).hostname or "").lower()


def refusal(domain: str) -> str | None:
    """Why no page may claim `domain` (lowercase, no trailing dot), or None."""
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        pass
    else:
        return "is an IP address; use a host name such as status.example.com"
    if domain == "localhost" or domain.endswith(LOCAL_SUFFIXES):
        return "is a local name that cannot be reached from the internet"
    own = own_host()
    if own and own.removeprefix("www.") == domain.removeprefix("www."):
        return "is this installation's own address"
    return None


def challenge_name(domain: str) -> str:
    return f"{CHALLENGE_LABEL}.{domain}"


def challenge_value(token: str) -> str:
    return f"{VALUE_PREFIX}{token}"


def claim_fields(domain: str | None) -> dict[str, Any]:
    """The verification state of a newly claimed domain (or of none): unproven, with a token
    of its own, so a record made for an earlier claim proves nothing."""
    return {
        "domain_token": secrets.token_hex(16) if domain else "",
        "domain_verified_at": None,
        "domain_checked_at": None,
        "domain_check_error": "",
    }


def status(page: StatusPage) -> str:
    """none, verified, failed (the last check said why) or pending (not checked yet)."""
    if not page.custom_domain:
        return "none"
    if page.domain_verified_at:
        return "verified"
    return "failed" if page.domain_check_error else "pending"


# --- The lookup ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    found: bool
    # True when the DNS answered (the record is not there); False when it could not be asked.
    definitive: bool
    error: str = ""


def _resolver() -> dns.resolver.Resolver:
    configured = settings.DNS_RESOLVER
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        host, port = _address(configured)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.lifetime = LOOKUP_SECONDS
    resolver.timeout = LOOKUP_SECONDS / 2
    return resolver


def _address(value: str) -> tuple[str, int]:
    """'192.0.2.53', '192.0.2.53:5353', '[2001:db8::53]:5353' or '2001:db8::53'."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, 53


def look_up(domain: str, token: str) -> Lookup:
    """Whether `_upstate-challenge.<domain>` holds `upstate-verify=<token>` in a TXT record."""
    name, expected = challenge_name(domain), challenge_value(token)
    try:
        answer = _resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Lookup(False, True, f"no TXT record at {name}")
    except dns.exception.DNSException as exc:
        return Lookup(False, False, f"the DNS lookup of {name} failed: {exc}"[:300])
    values = {b"".join(rdata.strings).decode("utf-8", "replace").strip() for rdata in answer}
    if expected in values:
        return Lookup(True, True)
    return Lookup(False, True, f"the TXT record at {name} does not hold {expected}")


# --- State changes ---------------------------------------------------------------------------


def check_domain(*, page_id: int) -> StatusPage | None:
    """Look the page's record up (outside any transaction: it may take seconds) and store what
    was found; the page's public documents follow when its verification changed."""
    page = StatusPage.objects.filter(id=page_id).first()
    if page is None or not page.custom_domain:
        return page
    domain, token = page.custom_domain, page.domain_token
    reason = refusal(domain)
    found = Lookup(False, True, f"{domain} {reason}") if reason else look_up(domain, token)
    try:
        with transaction.atomic():
            return _store_check(page_id, domain, token, found)
    except IntegrityError:  # another page verified the same domain at the same moment
        with transaction.atomic():
            taken = Lookup(False, True, "another status page has verified this domain")
            return _store_check(page_id, domain, token, taken)


def _store_check(page_id: int, domain: str, token: str, found: Lookup) -> StatusPage | None:
    page = StatusPage.objects.select_for_update().filter(id=page_id).first()
    if page is None or (page.custom_domain, page.domain_token) != (domain, token):
        return page  # the claim changed while we looked: the new one gets its own check
    now = timezone.now()
    was_verified = page.domain_verified_at is not None
    if found.found and _verified_elsewhere(page):
        found = Lookup(False, True, "another status page has verified this domain")
    if found.found:
        page.domain_verified_at = page.domain_verified_at or now
    elif found.definitive:
        page.domain_verified_at = None
    # A failed lookup (timeout, no name server) keeps a verified domain: outages of a
    # customer's DNS must not take their status page down.
    page.domain_checked_at = now
    page.domain_check_error = found.error
    page.save(update_fields=["domain_verified_at", "domain_checked_at", "domain_check_error"])
    if was_verified != (page.domain_verified_at is not None):
        action = "page.domain_verified" if page.domain_verified_at else "page.domain_unverified"
        record(org=page.org_id, action=action, target=page, details={"domain": domain})
        request_rebuild(page.id)
    return page


def _verified_elsewhere(page: StatusPage) -> bool:
    return (
        StatusPage.objects.filter(
            custom_domain=page.custom_domain, domain_verified_at__isnull=False
        )
        .exclude(id=page.id)
        .exists()
    )


def request_check(*, page: StatusPage) -> None:
    """Have the worker check the page's domain once the current transaction commits."""
    from upstate.pages.tasks import check_custom_domain

    page_id = page.id
    transaction.on_commit(lambda: check_custom_domain(page_id), robust=True)


def due_for_check(now: Any = None, limit: int = 200) -> list[int]:
    """Pages whose claimed domain the periodic check should look at now."""
    now = now or timezone.now()
    pending = Q(domain_verified_at__isnull=True) & (
        Q(domain_checked_at__isnull=True) | Q(domain_checked_at__lte=now - PENDING_EVERY)
    )
    verified = Q(domain_verified_at__isnull=False) & (
        Q(domain_checked_at__isnull=True) | Q(domain_checked_at__lte=now - VERIFIED_EVERY)
    )
    pages = StatusPage.objects.exclude(custom_domain=None).exclude(custom_domain="")
    oldest_first = F("domain_checked_at").asc(nulls_first=True)
    due = pages.filter(pending | verified).order_by(oldest_first)
    return list(due.values_list("id", flat=True)[:limit])
