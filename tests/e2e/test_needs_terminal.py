"""`wb ui` with no terminal to draw on says so and exits 2 at once, instead of spinning."""

from __future__ import annotations

from pathlib import Path

from .conftest import Runner


def test_wb_ui_without_a_terminal_says_it_needs_one(workspace: Path, wb: Runner):
    line = wb("ui", cwd=workspace, timeout=30).failed_cleanly(2)
    assert "needs a terminal" in line
