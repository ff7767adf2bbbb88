"""Each kind of check against a real local target."""

from __future__ import annotations

import datetime as dt

import pytest

from upstate.monitors.checks import Spec, new_client, parse_statuses, run_check
from upstate.monitors.tests.conftest import run
from upstate.monitors.tests.targets import HttpTarget, self_signed


def check(spec: Spec, *, ca_file: str = "", allow_private: bool = True):
    async def go():
        async with new_client(concurrency=4, extra_ca_file=ca_file) as client:
            return await run_check(spec, client, allow_private=allow_private)

    return run(go())


def http(url: str, **fields) -> Spec:
    return Spec(
        id=1, kind="http", interval=30, timeout=fields.pop("timeout", 2.0), url=url, **fields
    )


def test_a_healthy_target_passes_with_its_status_and_latency(http_target):
    outcome = check(http(http_target.url(), keyword=HttpTarget.KEYWORD))
    assert outcome.ok, outcome
    assert outcome.status_code == 200
    assert outcome.latency_ms is not None


def test_an_unexpected_status_fails(http_target):
    http_target.mode = "error"
    outcome = check(http(http_target.url()))
    assert not outcome.ok
    assert outcome.reason == "HTTP 500, expected 200-299"
    assert check(http(http_target.url(), expected_statuses="200,500")).ok


def test_a_missing_keyword_fails_and_an_unwanted_one_too(http_target):
    http_target.mode = "wrong_keyword"
    outcome = check(http(http_target.url(), keyword=HttpTarget.KEYWORD))
    assert not outcome.ok
    assert "not found" in outcome.reason
    assert check(http(http_target.url(), keyword=HttpTarget.KEYWORD, keyword_absent=True)).ok
    http_target.mode = "ok"
    outcome = check(http(http_target.url(), keyword="all systems", keyword_absent=True))
    assert not outcome.ok
    assert outcome.reason == "found 'all systems'"


def test_a_slow_answer_times_out(http_target):
    http_target.mode = "slow"
    http_target.delay = 2.0
    outcome = check(http(http_target.url(), timeout=0.5))
    assert not outcome.ok
    assert outcome.reason == "timed out"


def test_a_response_time_threshold_fails_slow_answers(http_target):
    http_target.mode = "slow"
    http_target.delay = 0.3
    outcome = check(http(http_target.url(), max_response_ms=100))
    assert not outcome.ok
    assert "more than 100 ms" in outcome.reason
    assert outcome.status_code == 200


def test_a_refused_connection_fails(http_target):
    url = http_target.url()
    http_target.stop()
    outcome = check(http(url))
    assert not outcome.ok
    assert "ConnectError" in outcome.reason


def test_loopback_is_refused_unless_allowed(http_target):
    outcome = check(http(http_target.url()), allow_private=False)
    assert not outcome.ok
    assert "private or loopback" in outcome.reason


@pytest.fixture
def tls_target(tmp_path, settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    started = []

    def start(*, not_before: dt.datetime, not_after: dt.datetime) -> tuple[HttpTarget, str]:
        certfile, keyfile = self_signed(tmp_path, not_before=not_before, not_after=not_after)
        target = HttpTarget(certfile=certfile, keyfile=keyfile).start()
        started.append(target)
        return target, str(certfile)

    yield start
    for target in started:
        target.stop()


def test_an_expired_certificate_fails(tls_target):
    now = dt.datetime.now(dt.UTC)
    target, ca = tls_target(
        not_before=now - dt.timedelta(days=90), not_after=now - dt.timedelta(days=1)
    )
    outcome = check(http(target.url(host="localhost")), ca_file=ca)
    assert not outcome.ok
    assert outcome.reason == "TLS certificate is not valid: certificate has expired"


def test_an_untrusted_self_signed_certificate_fails(tls_target):
    now = dt.datetime.now(dt.UTC)
    target, _ = tls_target(
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=90)
    )
    outcome = check(http(target.url(host="localhost")))
    assert not outcome.ok
    assert outcome.reason.startswith("TLS certificate is not valid: self")


def test_a_certificate_close_to_expiry_warns(tls_target):
    now = dt.datetime.now(dt.UTC)
    target, ca = tls_target(
        not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=5, hours=1)
    )
    outcome = check(http(target.url(host="localhost"), cert_expiry_days=14), ca_file=ca)
    assert not outcome.ok
    assert outcome.reason == "TLS certificate expires in 5 days"
    assert check(http(target.url(host="localhost"), cert_expiry_days=3), ca_file=ca).ok


def test_tcp_passes_while_the_port_listens(tcp_target):
    spec = Spec(id=1, kind="tcp", interval=30, timeout=1.0, host="127.0.0.1", port=tcp_target.port)
    assert check(spec).ok
    tcp_target.close()
    outcome = check(spec)
    assert not outcome.ok
    assert "refused" in outcome.reason.lower()
    tcp_target.open()
    assert check(spec).ok


def test_dns_compares_the_answer(dns_target):
    dns_target.records[("api.acme.test", "A")] = ["192.0.2.10"]
    spec = Spec(
        id=1,
        kind="dns",
        interval=30,
        timeout=1.0,
        host="api.acme.test",
        record_type="A",
        expected_value="192.0.2.10",
        dns_server=dns_target.address,
    )
    assert check(spec).ok
    dns_target.records[("api.acme.test", "A")] = ["192.0.2.99"]
    outcome = check(spec)
    assert not outcome.ok
    assert outcome.reason == "got 192.0.2.99, expected 192.0.2.10"
    del dns_target.records[("api.acme.test", "A")]
    assert check(spec).reason == "api.acme.test does not exist"


def test_status_specs_are_parsed_strictly():
    assert parse_statuses("200-299, 301") == [(200, 299), (301, 301)]
    for bad in ("2xx", "299-200", "700", ""):
        with pytest.raises(ValueError):
            parse_statuses(bad)
