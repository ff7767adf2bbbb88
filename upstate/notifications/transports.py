"""One transport class per channel. A transport is made for one batch of one event's
deliveries on its channel; `notify()` sends one delivery and raises `TransportError` (with
`permanent=True` when retrying cannot help, `disable=True` when the address itself is dead);
`is_noop()` says a delivery cannot be served at all (`noop_reason` says why). `TRANSPORTS`
maps channel to class.

`notify()` receives `commit`, which records the delivery as sent and answers False when the
worker lost its claim on the row. A transport calls it at its point of no return, passing that
step as `then` (email: writing the final "." of SMTP DATA, which runs inside the recording
transaction just before its commit, so a crash before it sends nothing and a crash after it has
sent and recorded); one that does not call it is committed after `notify()` returns.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import json
import smtplib
import socket
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, parseaddr
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from upstate.lib.outbound import Answer, Outbound, OutboundError
from upstate.notifications.models import EventKind
from upstate.subscribers.models import Channel, Subscriber

Commit = Callable[..., bool]

UNSUBSCRIBE_MARK = "UPSTATE-UNSUBSCRIBE-URL"
MANAGE_MARK = "UPSTATE-MANAGE-URL"
SIGNATURE_HEADER = "X-Upstate-Signature"


class TransportError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, disable: bool = False, response: str = ""
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or disable
        self.disable = disable
        self.response = response


class ClaimLost(Exception):
    """The row was taken over by another worker: stop without sending."""


def personal_links(subscriber: Subscriber | None) -> dict[str, str]:
    """A subscriber's manage and unsubscribe links; a paged member has none."""
    from upstate.subscribers.services import manage_url, unsubscribe_url

    if subscriber is None:
        return {}
    return {UNSUBSCRIBE_MARK: unsubscribe_url(subscriber), MANAGE_MARK: manage_url(subscriber)}


def _personalise(template: str, links: dict[str, str]) -> str:
    for mark, value in links.items():
        template = template.replace(mark, value)
    return template


class Transport:
    channel: ClassVar[Channel]
    noop_reason = ""

    def __init__(self, event: Any) -> None:
        self.event = event
        self.content: dict[str, Any] = event.content

    def is_noop(self, delivery: Any) -> bool:
        return False

    def notify(self, delivery: Any, commit: Commit) -> str:
        raise NotImplementedError

    def close(self) -> None:
        pass


# --- Email -----------------------------------------------------------------------------------

_TO_MARK = "upstate-recipient@placeholder.invalid"
_ID_MARK = "upstate-message-id"


def dot_stuff(data: bytes) -> bytes:
    """SMTP's transparency (RFC 5321 4.5.2): a line starting with "." gets another. Messages
    here end their lines with CRLF; a plain replace is many times faster than a regex."""
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


SMTP_LINE_LIMIT = 998
SMTP_POLICY = SMTP.clone(max_line_length=SMTP_LINE_LIMIT)
# The most a recipient's links may add to one line (both links are a public URL, a slug and a
# token: well under this).
MAX_LINKS_LENGTH = 400


def _qp(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


class _EncodedBody:
    """A body quoted-printable encoded once: quoted-printable encodes each line on its own,
    so only the few lines holding a recipient's marks are encoded per recipient (encoding the
    whole body for every message was a tenth of the fan-out's CPU)."""

    encoding = "quoted-printable"

    def __init__(self, text: str, marks: tuple[str, ...]) -> None:
        lines = text.replace("\r\n", "\n").split("\n")
        # Encoded lines, and a line's text where it holds a mark (None elsewhere).
        self.encoded = [_qp(line) for line in lines]
        self.marked = [line if any(m in line for m in marks) else None for line in lines]

    def render(self, links: dict[str, str]) -> bytes:
        if not links:
            return b"\r\n".join(self.encoded)
        return b"\r\n".join(
            encoded if line is None else _qp(_personalise(line, links))
            for encoded, line in zip(self.encoded, self.marked, strict=True)
        )


class _UnencodedBody:
    """A body sent as written: 7bit when it is ASCII, else 8bit for servers that announce
    8BITMIME. A quarter fewer lines than quoted-printable (whose lines stop at 76 characters)
    and no escapes, so less for every mail server to read and less for us to personalise."""

    def __init__(self, text: str) -> None:
        # Encoded once: the marks are ASCII, so replacing them in the bytes gives what
        # encoding the personalised text would (which, for a body with one non-ASCII
        # character, meant encoding it all character by character for every message).
        self.data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        self.encoding = "7bit" if text.isascii() else "8bit"

    @classmethod
    def of(cls, text: str) -> _UnencodedBody | None:
        """None when a line is too long to go unencoded (SMTP allows 998 octets; a
        recipient's links may still lengthen a line by MAX_LINKS_LENGTH)."""
        limit = SMTP_LINE_LIMIT - MAX_LINKS_LENGTH
        lines = text.replace("\r\n", "\n").split("\n")
        if any(len(line.encode()) > limit or "\r" in line or "\0" in line for line in lines):
            return None  # (SMTP allows no bare CR, and no NUL in 8bit)
        return cls(text)

    def render(self, links: dict[str, str]) -> bytes:
        data = self.data
        for mark, value in links.items():
            data = data.replace(mark.encode(), value.encode())
        return data


class PreparedEmail:
    """An event's email, built once: headers and parts with marks that each recipient's
    address, message id and links replace (the bodies are encoded per recipient, which
    costs microseconds, not the milliseconds of building a message)."""

    BOUNDARY = "upstate-alt-boundary-7f3a"

    def __init__(
        self,
        *,
        subject: str,
        text: str,
        html: str,
        page_name: str,
        event_code: str,
        one_click: bool = True,
        sender: str = "",
    ) -> None:
        sender_name, self.sender = parseaddr(sender or settings.DEFAULT_FROM_EMAIL)
        self.domain = self.sender.rpartition("@")[2] or "localhost"
        head = EmailMessage(policy=SMTP_POLICY)
        head["From"] = formataddr((page_name or sender_name, self.sender))
        head["To"] = _TO_MARK
        head["Subject"] = subject
        head["Date"] = formatdate(usegmt=True)
        head["Message-ID"] = f"<{_ID_MARK}@{self.domain}>"
        if one_click:  # subscribers' mail; a page to a responder has nothing to leave
            head["List-Unsubscribe"] = f"<{UNSUBSCRIBE_MARK}>"
            head["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        head["Auto-Submitted"] = "auto-generated"
        head["X-Upstate-Event"] = event_code
        head["MIME-Version"] = "1.0"
        folded = "".join(SMTP_POLICY.fold(name, value) for name, value in head.items())
        content_type = f'Content-Type: multipart/alternative; boundary="{self.BOUNDARY}"'
        self.head = folded + content_type
        marks = (UNSUBSCRIBE_MARK, MANAGE_MARK)
        self.text, self.html = _EncodedBody(text, marks), _EncodedBody(html, marks)
        self.text_as_is, self.html_as_is = _UnencodedBody.of(text), _UnencodedBody.of(html)

    def _part(self, subtype: str, body: _EncodedBody | _UnencodedBody, links: dict) -> bytes:
        return (
            f'--{self.BOUNDARY}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {body.encoding}\r\n\r\n"
        ).encode() + body.render(links)

    def _body(
        self, encoded: _EncodedBody, as_is: _UnencodedBody | None, eight_bit: bool
    ) -> _EncodedBody | _UnencodedBody:
        if as_is is not None and (as_is.encoding == "7bit" or eight_bit):
            return as_is
        return encoded

    def render(
        self, recipient: str, message_id: str, links: dict[str, str], *, eight_bit: bool = False
    ) -> bytes:
        """The recipient's message; `eight_bit` when the server announced 8BITMIME (bodies
        then go as written, else quoted-printable unless they are ASCII)."""
        head = self.head.replace(_TO_MARK, recipient).replace(_ID_MARK, message_id)
        head = _personalise(head, links)
        return b"".join(
            (
                head.encode("utf-8"),
                b"\r\n\r\n",
                self._part("plain", self._body(self.text, self.text_as_is, eight_bit), links),
                b"\r\n",
                self._part("html", self._body(self.html, self.html_as_is, eight_bit), links),
                f"\r\n--{self.BOUNDARY}--\r\n".encode(),
            )
        )


@functools.lru_cache(maxsize=16)
def prepared_email(**fields: Any) -> PreparedEmail:
    """An event's email, prepared once per worker rather than once per batch of its deliveries
    (preparing parses and folds its headers: milliseconds). Keyed by everything it is made
    of, so an event rendered again after a crash is prepared again; `render()` only reads."""
    return PreparedEmail(**fields)


class _RawMessage:
    """What Django's non-SMTP backends (console, file, locmem) need of a message."""

    def __init__(self, sender: str, recipient: str, data: bytes) -> None:
        self.from_email, self.to, self.data = sender, [recipient], data
        self.cc: list[str] = []
        self.bcc: list[str] = []

    def recipients(self) -> list[str]:
        return self.to

    def message(self) -> Any:
        import email

        return email.message_from_bytes(self.data)


def smtp_error(code: int, reply: bytes | str, stage: str, *, may_disable: bool = False) -> Any:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    message = f"{stage}: {code} {text}".strip()
    if 400 <= code < 500:
        return TransportError(message, response=f"{code} {text}")
    dead_address = may_disable and code in (550, 551, 553)
    return TransportError(message, permanent=True, disable=dead_address, response=f"{code} {text}")


class SmtpSession:
    """One SMTP connection reused for a batch, sending in two phases around `commit`."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            try:
                self.backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                self.backend.connection = None
                raise TransportError(f"cannot connect to the mail server: {exc}") from exc
            self.smtp = self.backend.connection
            self.smtp.ehlo_or_helo_if_needed()
            # A message's last segment goes out at once; without this, Nagle's algorithm holds
            # it until the server's delayed ACK (40 ms per message).
            sock = getattr(self.smtp, "sock", None)
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.smtp

    def eight_bit_mime(self) -> bool:
        """Whether the server takes 8bit bodies (connecting first if need be)."""
        return self._connection().has_extn("8bitmime")

    def _reset(self) -> None:
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.drop()

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None
        self.backend.connection = None

    def send(self, sender: str, recipient: str, data: bytes, commit: Commit) -> str:
        try:
            return self._send(sender, recipient, data, commit)
        except (OSError, smtplib.SMTPException) as exc:
            self.drop()
            raise TransportError(f"mail server connection failed: {exc}") from exc

    def _send(self, sender: str, recipient: str, data: bytes, commit: Commit) -> str:
        smtp = self._connection()
        # docmd rather than mail()/rcpt(): the addresses were validated on the way in, and
        # re-parsing them for every message showed up in the fan-out's profile.
        options = " BODY=8BITMIME" if smtp.has_extn("8bitmime") else ""
        code, reply = smtp.docmd("MAIL", f"FROM:<{sender}>{options}")
        if code != 250:
            self._reset()
            raise smtp_error(code, reply, "MAIL FROM")
        code, reply = smtp.docmd("RCPT", f"TO:<{recipient}>")
        if code not in (250, 251):
            self._reset()
            raise smtp_error(code, reply, "RCPT TO", may_disable=True)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            self._reset()
            raise smtp_error(code, reply, "DATA")
        body = dot_stuff(data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        # The body and its final "." go out together inside the transaction recording the
        # send, just before its commit (see services.mark_sent): one write instead of two, for
        # us and for the server. Cut off before the ".", the server discards the message.
        if not commit(then=lambda: smtp.send(body + b".\r\n")):
            self.drop()  # closing without the final "." makes the server discard the message
            raise ClaimLost
        code, reply = smtp.getreply()
        if code != 250:
            raise smtp_error(code, reply, "end of DATA", may_disable=True)
        return f"{code} {reply.decode(errors='replace')}"

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self.drop()


class EmailTransport(Transport):
    channel = Channel.EMAIL

    def __init__(self, event: Any) -> None:
        super().__init__(event)
        mail = self.content["email"]
        self.prepared = prepared_email(
            sender=settings.DEFAULT_FROM_EMAIL,
            subject=mail["subject"],
            text=mail["text"],
            html=mail["html"],
            page_name=self.content["page"]["name"],
            event_code=event.code,
            one_click=not EventKind(event.kind).is_paging,
        )
        self.backend = get_connection(fail_silently=False)
        self.session = SmtpSession(self.backend) if isinstance(self.backend, SmtpBackend) else None

    def notify(self, delivery: Any, commit: Commit) -> str:
        address = delivery.target_address
        message_id = f"{delivery.code}.{self.event.code}"
        links = personal_links(delivery.subscriber)
        if self.session is None:  # Django's console, file or memory backend: bytes are bytes
            data = self.prepared.render(address, message_id, links, eight_bit=True)
            self.backend.send_messages([_RawMessage(self.prepared.sender, address, data)])
            return "handed to the mail backend"
        try:
            eight_bit = self.session.eight_bit_mime()
        except (OSError, smtplib.SMTPException) as exc:
            self.session.drop()
            raise TransportError(f"mail server connection failed: {exc}") from exc
        data = self.prepared.render(address, message_id, links, eight_bit=eight_bit)
        return self.session.send(self.prepared.sender, address, data, commit)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


# --- HTTP channels ---------------------------------------------------------------------------


class HttpTransport(Transport):
    """POSTs JSON to the subscriber's URL through upstate.lib.outbound."""

    # Answers meaning the URL itself is dead: the subscriber is disabled.
    DEAD = frozenset({404, 410})

    def __init__(self, event: Any) -> None:
        super().__init__(event)
        self.http = Outbound(allow_private=settings.ALLOW_PRIVATE_TARGETS)

    def body(self, delivery: Any) -> bytes:
        raise NotImplementedError

    def headers(self, delivery: Any, body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def notify(self, delivery: Any, commit: Commit) -> str:
        body = self.body(delivery)
        try:
            answer = self.http.post(
                delivery.target_address, content=body, headers=self.headers(delivery, body)
            )
        except OutboundError as exc:
            raise TransportError(str(exc), permanent=exc.permanent, disable=exc.permanent) from exc
        return self.judge(answer)

    def judge(self, answer: Answer) -> str:
        response = f"{answer.status} {answer.text}".strip()
        if answer.ok:
            return response
        message = f"HTTP {answer.status}: {answer.text[:200]}".strip()
        if answer.status in self.DEAD:
            raise TransportError(message, disable=True, response=response)
        if answer.status in (408, 425, 429) or answer.status >= 500:
            raise TransportError(message, response=response)
        raise TransportError(message, permanent=True, response=response)

    def close(self) -> None:
        self.http.close()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`, as receivers recompute it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookTransport(HttpTransport):
    """The Statuspage webhook JSON, signed with the subscriber's secret."""

    channel = Channel.WEBHOOK
    DEAD = frozenset({410})

    def __init__(self, event: Any) -> None:
        super().__init__(event)
        self.template = json.dumps(self.content["webhook"], ensure_ascii=False)

    def body(self, delivery: Any) -> bytes:
        links = personal_links(delivery.subscriber)
        return _personalise(self.template, links).encode("utf-8")

    def headers(self, delivery: Any, body: bytes) -> dict[str, str]:
        secret = delivery.subscriber.webhook_secret
        return {
            "Content-Type": "application/json",
            "X-Upstate-Event": self.event.kind,
            "X-Upstate-Delivery": delivery.code,  # the same on every retry: an idempotency key
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        }


def _chat_lines(content: dict[str, Any]) -> list[str]:
    lines = [f"*Status:* {content['status_label']}"]
    if content["components"]:
        names = ", ".join(f"{c['name']} ({c['status_label']})" for c in content["components"])
        lines.append(f"*Affected:* {names}")
    if content.get("postmortem_url"):
        lines.append(f"*Postmortem:* will follow at {content['postmortem_url']}")
    return lines


class SlackTransport(HttpTransport):
    channel = Channel.SLACK
    DEAD = frozenset({403, 404, 410})

    def body(self, delivery: Any) -> bytes:
        c = self.content
        fallback = f"{c['headline']}: {c['title']}"
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": fallback[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": c["message_text"][:2900]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": line} for line in _chat_lines(c)],
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{c['url']}|View on {c['page']['name']}>"},
            },
        ]
        if not c["message_text"]:
            blocks.pop(1)
        return json.dumps({"text": fallback, "blocks": blocks}).encode()


class TeamsTransport(HttpTransport):
    """An Adaptive Card, as Teams workflow (and older connector) webhooks take it."""

    channel = Channel.TEAMS

    def body(self, delivery: Any) -> bytes:
        c = self.content
        facts = [{"title": "Status", "value": c["status_label"]}]
        if c["components"]:
            names = ", ".join(f"{x['name']} ({x['status_label']})" for x in c["components"])
            facts.append({"title": "Affected", "value": names})
        if c.get("postmortem_url"):
            facts.append({"title": "Postmortem", "value": f"will follow at {c['postmortem_url']}"})
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": c["headline"], "weight": "Bolder", "size": "Small"},
                {
                    "type": "TextBlock",
                    "text": c["title"],
                    "weight": "Bolder",
                    "size": "Large",
                    "wrap": True,
                },
                {"type": "TextBlock", "text": c["message_text"] or " ", "wrap": True},
                {"type": "FactSet", "facts": facts},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "View status page", "url": c["url"]}],
        }
        message = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        return json.dumps(message).encode()


class DiscordTransport(HttpTransport):
    channel = Channel.DISCORD
    DEAD = frozenset({401, 404, 410})

    def body(self, delivery: Any) -> bytes:
        c = self.content
        fields = [{"name": "Status", "value": c["status_label"], "inline": True}]
        if c["components"]:
            names = ", ".join(f"{x['name']} ({x['status_label']})" for x in c["components"])
            fields.append({"name": "Affected", "value": names[:1000], "inline": False})
        if c.get("postmortem_url"):
            fields.append({"name": "Postmortem", "value": f"will follow at {c['postmortem_url']}"})
        embed = {
            "title": c["title"][:256],
            "url": c["url"],
            "description": c["message_text"][:4000],
            "color": int(c["color"].lstrip("#"), 16),
            "fields": fields,
            "author": {"name": f"{c['page']['name']}: {c['headline']}"[:256]},
            "timestamp": c["at"],
        }
        return json.dumps({"embeds": [embed], "allowed_mentions": {"parse": []}}).encode()


class PhoneTransport(Transport):
    """SMS and WhatsApp through the organization's provider (upstate.notifications.providers),
    configured in the dashboard; without one, deliveries are recorded as failed with
    `noop_reason` rather than silently dropped."""

    def __init__(self, event: Any) -> None:
        from upstate.notifications.providers import sender_for

        super().__init__(event)
        self.sender = sender_for(event.page.org_id, self.channel)
        self.http = Outbound(allow_private=settings.ALLOW_PRIVATE_TARGETS)
        self.noop_reason = f"no {self.channel.label} provider is configured for this organization"

    def is_noop(self, delivery: Any) -> bool:
        return self.sender is None

    def notify(self, delivery: Any, commit: Commit) -> str:
        assert self.sender is not None
        return self.sender.send(self.http, delivery.target_address, self.content["sms"])

    def close(self) -> None:
        self.http.close()


class SmsTransport(PhoneTransport):
    channel = Channel.SMS


class WhatsAppTransport(PhoneTransport):
    channel = Channel.WHATSAPP


TRANSPORTS: dict[str, type[Transport]] = {
    t.channel.value: t
    for t in (
        EmailTransport,
        WebhookTransport,
        SlackTransport,
        TeamsTransport,
        DiscordTransport,
        SmsTransport,
        WhatsAppTransport,
    )
}


def transport_for(channel: str, event: Any) -> Transport:
    return TRANSPORTS[channel](event)
