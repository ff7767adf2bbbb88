"""The accepted-text rule and the XML-safe filter."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from upstate.lib import text

ALLOWED = ["plain", "tab\there", "lines\nand\r\nmore", "שלום עולם", "emoji 🚀🔥", "\u200f\u202e"]
REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f",
           "\ud800", "\udfff", "\ufffe", "\uffff"]  # fmt: skip


@pytest.mark.parametrize("value", ALLOWED)
def test_it_accepts_ordinary_text(value):
    assert text.problem(value) is None
    assert text.check(value) == value
    assert text.xml_safe(value) == value


@pytest.mark.parametrize("char", REFUSED)
def test_it_refuses_control_characters_surrogates_and_non_characters(char):
    reason = text.problem(f"ab{char}c")
    assert reason is not None
    assert f"U+{ord(char):04X} at position 3" in reason
    with pytest.raises(ValueError):
        text.check(f"ab{char}c")


def test_what_it_strips_fits_in_xml():
    value = "a" + "".join(REFUSED) + "\tb\n"
    safe = text.xml_safe(value)
    assert safe == "a\tb\n"
    assert ET.fromstring(f"<t>{safe}</t>").text == safe


def test_it_strips_the_same_characters_from_utf8_bytes():
    allowed = "".join(ALLOWED)
    refused = "".join(c for c in REFUSED if not 0xD800 <= ord(c) <= 0xDFFF)
    assert text.xml_safe_bytes((allowed + refused).encode()) == allowed.encode()
