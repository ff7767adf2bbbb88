"""The values `upstate --help` lists for each option are the models' (the parser is built
before Django starts, so it cannot read them)."""

from __future__ import annotations

import re

import pytest

from upstate.cli import VALUES, build_parser
from upstate.incidents.models import Category, Impact, IncidentStatus, Severity, Visibility
from upstate.pages.models import ComponentStatus


@pytest.mark.parametrize(
    ("option", "choices", "left_out"),
    [
        ("status", IncidentStatus, {"postmortem"}),  # set by publishing a postmortem
        ("impact", Impact, set()),
        ("severity", Severity, set()),
        ("category", Category, set()),
        ("visibility", Visibility, set()),
        ("component_status", ComponentStatus, set()),
    ],
)
def test_help_lists_every_value(option, choices, left_out):
    listed = set(re.split(r",? or |, ", VALUES[option]))

    assert listed == set(choices.values) - left_out


def test_every_command_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001

    for name, command in commands.items():
        assert command.description, name
