"""An email body encoded once, with only the lines holding marks encoded per recipient, decodes
to that recipient's text and keeps quoted-printable's 76-character lines."""

from __future__ import annotations

import quopri

from hypothesis import given
from hypothesis import strategies as st

from upstate.notifications.transports import (
    MANAGE_MARK,
    UNSUBSCRIBE_MARK,
    _EncodedBody,
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


@given(pieces, links)
def test_encoded_once_decodes_to_the_recipients_text(parts, recipient_links):
    text = "".join(parts)
    personal = text
    for mark, value in recipient_links.items():
        personal = personal.replace(mark, value)
    body = _EncodedBody(text, MARKS).render(recipient_links)
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    decoded = quopri.decodestring(body).decode().replace("\r\n", "\n")
    assert decoded == personal.replace("\r\n", "\n")


def test_dot_stuffing_doubles_a_leading_dot_on_every_line():
    assert dot_stuff(b".a\r\nb\r\n.\r\n..c\r\nd.e\r\n") == b"..a\r\nb\r\n..\r\n...c\r\nd.e\r\n"
