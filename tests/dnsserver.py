"""A tiny authoritative DNS server on loopback UDP for tests: answers TXT queries from a
dictionary, NXDOMAIN for names it does not hold, SERVFAIL while `failing` is set. Custom-domain
verification really queries it (settings.DNS_RESOLVER points at it)."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class TxtServer:
    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.failing = False
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def add_txt(self, name: str, value: str) -> None:
        self.records.setdefault(name.lower().rstrip("."), []).append(value)

    def reset(self) -> None:
        self.records.clear()
        self.queries.clear()
        self.failing = False

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self._sock.recvfrom(4096)
            except OSError:
                return  # closed
            try:
                self._sock.sendto(self._answer(wire), client)
            except Exception:  # noqa: BLE001 - a malformed query gets no answer, as on a real server
                continue

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        self.queries.append(name)
        if self.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            quoted = [f'"{value}"' for value in self.records[name]]
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", *quoted))
        return response.to_wire()
