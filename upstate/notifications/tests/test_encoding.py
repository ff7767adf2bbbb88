"""An email body encoded once, with only the lines holding marks encoded per recipient, decodes
to that recipient's text and keeps quoted-printable's 76-character lines."""

from __future__ import annotations

import quopri

from hypothesis import given
from hypothesis import strategies as st

from upstate.notifications.transports import (
    MANAGE_MARK,
    SMTP_LINE_LIMIT,
    UNSUBSCRIBE_MARK,
    _EncodedBody,
    _UnencodedBody,
    dot_stuff,
)

MARKS = (UNSUBSCRIBE_MARK, MANAGE_MARK)
pieces = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120),
        st.sampled_from([*MARKS, "\n", "\r\n", " \n", "=", ".", "\t"]),
    ),
    max_size=30,
)
links = st.fixed_dictionaries(
    {
        UNSUBSCRIBE_MARK: st.from_regex(
            r"https://[a-z.]{3,20}/unsubscribe/[A-Za-z0-9_-]{32}", fullmatch=True
        ),
        MANAGE_MARK: st.from_regex(
            r"https://[a-z.]{3,40}/subscription/[A-Za-z0-9_=-]{32}", fullmatch=True
        ),
    }
)


def _personal(text: str, recipient_links: dict[str, str]) -> str:
    for mark, value in recipient_links.items():
        text = text.replace(mark, value)
    return text


@given(pieces, links)
def test_encoded_once_decodes_to_the_recipients_text(parts, recipient_links):
    text = "".join(parts)
    personal = _personal(text, recipient_links)
    body = _EncodedBody(text, MARKS).render(recipient_links)
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    decoded = quopri.decodestring(body).decode().replace("\r\n", "\n")
    assert decoded == personal.replace("\r\n", "\n")


@given(pieces, links)
def test_a_body_as_written_is_the_recipients_text_or_declined(parts, recipient_links):
    text = "".join(parts)
    personal = _personal(text, recipient_links)
    body = _UnencodedBody.of(text)
    if body is None:  # a line too long, a bare CR or a NUL: quoted-printable takes it
        lines = text.replace("\r\n", "\n").split("\n")
        assert any(len(line.encode()) > 500 or "\r" in line or "\0" in line for line in lines)
        return
    sent = body.render(recipient_links)
    assert all(len(line) <= SMTP_LINE_LIMIT for line in sent.split(b"\r\n"))
    assert b"\r" not in sent.replace(b"\r\n", b"") and b"\n" not in sent.replace(b"\r\n", b"")
    assert sent.decode() == personal.replace("\r\n", "\n").replace("\n", "\r\n")
    assert body.encoding == ("7bit" if text.isascii() else "8bit")


def test_dot_stuffing_doubles_a_leading_dot_on_every_line():
    assert dot_stuff(b".a\r\nb\r\n.\r\n..c\r\nd.e\r\n") == b"..a\r\nb\r\n..\r\n...c\r\nd.e\r\n"
