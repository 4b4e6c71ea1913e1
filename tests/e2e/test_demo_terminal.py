"""`wb demo` in a real (pseudo-)terminal, as a newcomer runs it: a progress line while it
builds, then the TUI on the demo workspace; `q` leaves it with the terminal as it was."""

from __future__ import annotations

import os
import pty
import select
import termios
from pathlib import Path

from tests.e2e.conftest import TIMEOUT_S
from tests.e2e.test_tui_terminal import Terminal

ALT_SCREEN_ON, ALT_SCREEN_OFF, CURSOR_SHOWN = b"\x1b[?1049h", b"\x1b[?1049l", b"\x1b[?25h"


def fresh_terminal_modes() -> list:
    """The modes a pty starts in (echo, line editing): what wb found and must leave."""
    master, child = pty.openpty()
    try:
        return termios.tcgetattr(child)
    finally:
        os.close(master)
        os.close(child)


def read_to_the_end(term: Terminal) -> int:
    """Wait for wb to exit and read what it wrote last; its exit code."""
    code = term.proc.wait(timeout=TIMEOUT_S)
    while select.select([term.master], [], [], 0)[0]:
        try:
            chunk = os.read(term.master, 65536)
        except OSError:  # nothing more: the child's side is closed
            break
        if not chunk:
            break
        term.screen += chunk
    return code


def test_demo_on_a_terminal_shows_progress_opens_the_tui_and_q_restores_it(tmp_path: Path):
    term = Terminal(tmp_path, columns=100, lines=30, args=("demo", "d"))
    try:
        term.wait_for("training the champion on sales@1", TIMEOUT_S)  # the progress line
        term.wait_for("demo workspace ready in d", TIMEOUT_S)
        term.wait_for("q quit", TIMEOUT_S)  # the TUI's footer, on the demo's data
        assert "sales@7" in term.text()
        drawn = term.screen
        assert ALT_SCREEN_ON in drawn
        term.press("q")
        code = read_to_the_end(term)
        modes = termios.tcgetattr(term.master)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)
    assert code == 0, term.text()[-2000:]
    assert ALT_SCREEN_OFF in term.screen and CURSOR_SHOWN in term.screen  # drawn after the q
    assert modes == fresh_terminal_modes()  # echo and line editing back, as the shell needs them
    assert (tmp_path / "d" / ".wb").is_dir()
