"""Messages written for the command line (core's errors name the option they are about:
`--where: unknown field ...`, `wb train`'s `--target ...`) in the TUI's words: what the TUI
calls that option (the filter, a field of the training form)."""

from __future__ import annotations

import re

# An option as the TUI names it: the runs filter and sort, the training form's fields.
OPTIONS = {
    "where": "the filter",
    "sort": "the sort",
    "data": "the form's data",
    "target": "the form's target",
    "model": "the form's model",
    "param": "the form's params",
    "sweep": "the form's sweep",
}
_OPTION = re.compile(r"(?<![\w-])--(" + "|".join(OPTIONS) + r")(?![\w-])")


def in_tui(message: str) -> str:
    """`message` with each option the TUI has its own name for called by that name."""
    return _OPTION.sub(lambda m: OPTIONS[m.group(1)], message)
