"""The configuration table of the documentation, generated from the settings' help texts.

`python -m upstate.lib.envdoc` prints it; the documentation build runs that in a clean
environment (scripts/docs_hooks.py), so the table shows the defaults, not this machine's values.
"""

from __future__ import annotations

import importlib

from upstate.lib.env import VARIABLES, Variable


def variables() -> list[Variable]:
    """Every variable the settings read or declare, in alphabetical order."""
    importlib.import_module("upstate.settings")
    return sorted(VARIABLES.values(), key=lambda variable: variable.name)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    rows = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    for variable in variables():
        if not variable.default:
            default = "unset"
        elif variable.literal:
            default = f"`{_cell(variable.default)}`"
        else:
            default = _cell(variable.default)
        kind = "text, or `_FILE`" if variable.file else variable.kind
        # Long names break after an underscore, never inside a word.
        name = "<code>" + variable.name.replace("_", "_<wbr>") + "</code>"
        rows.append(f"| {name} | {kind} | {default} | {_cell(variable.help)} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
