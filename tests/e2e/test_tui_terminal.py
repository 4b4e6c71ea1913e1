"""The real `wb` in a real (pseudo-)terminal: it draws, answers keys and quits cleanly. The
Pilot tests drive the app headless; this one goes through the terminal driver a user gets."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.e2e.conftest import DROPS, Runner, wb_env

DEADLINE_S = 30.0
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Terminal:
    """`wb ARGS` (a bare `wb` by default) on the child side of a pty sized like a small
    terminal; what it drew so far."""

    def __init__(self, cwd: Path, columns: int = 100, lines: int = 30, args: tuple[str, ...] = ()):
        self.master, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = wb_env({"TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", *args],
            cwd=cwd,
            env=env,
            stdin=child,
            stdout=child,
            stderr=child,
            close_fds=True,
            start_new_session=True,
        )
        os.close(child)
        self.screen = b""

    def text(self) -> str:
        return ANSI.sub(b"", self.screen).decode("utf-8", "replace")

    def wait_for(self, words: str, deadline_s: float = DEADLINE_S) -> None:
        """Read what the app draws until `words` shows up (escape codes stripped)."""
        deadline = time.monotonic() + deadline_s
        while words not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{words!r} never appeared; the screen had:\n{self.text()[-2000:]}")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    break

    def press(self, keys: str) -> None:
        self.screen = b""  # only what is drawn after the keys counts from here
        os.write(self.master, keys.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=DEADLINE_S)
        finally:
            os.close(self.master)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:  # a test that failed midway: no wb left behind
            self.proc.kill()


def test_wb_draws_in_a_terminal_switches_areas_and_quits_cleanly(workspace: Path, wb: Runner):
    wb("data", "add", DROPS / "week_01.csv", "--name", "sales", cwd=workspace).ok()
    with Terminal(workspace) as term:
        term.wait_for("sales@1")  # the first screen, with the data on it
        term.press("2")
        term.wait_for("No runs yet")
        term.press("?")
        term.wait_for("area_runs")  # the help lists the binding ids
        term.press("q")  # in the help, q closes it; the runs screen is drawn again
        term.wait_for("No runs yet")
        term.press("q")
        assert term.close() == 0


def test_a_burst_of_keys_moves_as_far_as_the_keys_say(workspace: Path, wb: Runner):
    """Key repeat and ssh deliver keys in bursts: five `j`s in one read move five rows."""
    script = (
        "import workbench\n"
        "for i in range(8):\n"
        "    with workbench.start_run(experiment='burst', params={'i': i}) as run:\n"
        "        run.log_metric('loss', i)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=workspace, env=wb_env(), check=True)
    listed = wb("runs", "list", "--json", cwd=workspace).json()  # newest first, as the TUI lists them
    with Terminal(workspace) as term:
        term.wait_for("datasets")
        term.press("2")
        term.wait_for(f"id {listed[0]['id']}")  # the first row's detail
        term.press("jjjjj")  # one write: the app reads the five keys at once
        term.wait_for(f"id {listed[5]['id']}")
        term.press("q")
        assert term.close() == 0
