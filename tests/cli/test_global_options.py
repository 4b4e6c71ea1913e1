"""wb's own options (`-w`, `--debug`) given after a command say where they go."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "args, option, command",
    [
        (("status", "-w", "elsewhere"), "-w", "status"),
        (("data", "list", "--workspace", "elsewhere"), "--workspace", "data list"),
        (("runs", "list", "--debug"), "--debug", "runs list"),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(wb, args, option, command):
    result = wb(*args, code=2)
    assert result.stderr.splitlines()[-1] == (
        f"Error: {option} is an option of wb itself: put it before the command, `wb {option} ... {command}`"
    )


def test_an_unknown_option_is_still_unknown(wb):
    assert wb("status", "--bogus", code=2).stderr.splitlines()[-1] == "Error: No such option: --bogus"
