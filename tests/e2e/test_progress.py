"""Progress on a terminal for `wb train` (one run, a sweep) and `wb predict`, and none in a pipe
or with --json.

"A terminal" is a real one: stdout and stderr are each a pty (two, so that what is drawn on
stderr can be told from the results on stdout), read until the command ends.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DROPS, new_workspace, run_wb, wb_env

TRAIN = ("train", "--data", "sales@1", "--target", "units_sold")
SWEEP = (*TRAIN, "--sweep", "num_leaves=7,15", "-j", "2")
FINISHED = re.compile(r"run [0-9a-f]{12} finished")
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Screen:
    returncode: int
    stdout: str  # as written, escapes and all
    stderr: str

    @property
    def drawn(self) -> str:
        """Every text stderr drew, without the terminal's escapes."""
        return _ESCAPES.sub("", self.stderr).replace("\r", "\n")

    @property
    def left(self) -> str:
        """What stderr shows once the progress line is erased: the text after the last
        erase (rich's transient display ends by erasing its lines)."""
        return _ESCAPES.sub("", self.stderr.rsplit("\x1b[2K", 1)[-1]).replace("\r", "")


def _pty() -> tuple[int, int]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    return leader, follower


def on_terminal(*args: str, cwd: Path, until: str | None = None, timeout: float = 60) -> Screen:
    """Run `wb ARGS` with stdout and stderr on terminals and read both until it ends. With
    `until`, send Ctrl-C (SIGINT to its process group, as a terminal does) once stderr has
    drawn that text."""
    (out_leader, out_follower), (err_leader, err_follower) = _pty(), _pty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd,
        env=wb_env({"TERM": "xterm-256color"}),
        stdin=subprocess.DEVNULL,
        stdout=out_follower,
        stderr=err_follower,
        start_new_session=True,
    )
    os.close(out_follower)
    os.close(err_follower)
    read = {out_leader: b"", err_leader: b""}
    reading = set(read)
    deadline = time.monotonic() + timeout
    try:
        while reading:
            assert time.monotonic() < deadline, f"wb {' '.join(args)} did not end"
            for fd in select.select(list(reading), [], [], 1)[0]:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # the pty's other end is closed: the command ended
                    data = b""
                if not data:
                    reading.discard(fd)
                read[fd] += data
            if until is not None and until in _ESCAPES.sub("", read[err_leader].decode(errors="replace")):
                os.killpg(proc.pid, signal.SIGINT)
                until = None
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(out_leader)
        os.close(err_leader)
    return Screen(proc.returncode, read[out_leader].decode(), read[err_leader].decode())


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_workspace(tmp_path_factory.mktemp("progress"), sales=True)


def test_a_parallel_sweep_on_a_terminal_counts_its_runs_on_stderr(sales: Path):
    screen = on_terminal(*SWEEP, "-e", "tty", cwd=sales)
    assert screen.returncode == 0, screen.stderr
    drawn = screen.drawn
    assert re.search(r"runs 2/2 · 0 running · 0 failed · best rmse \d+\.\d+", drawn), drawn
    assert "loading sales@1" in drawn
    assert "running" not in screen.stdout and "num_leaves" in screen.stdout
    # Gone once the sweep ends: only the runs' own lines stay.
    assert screen.left == ""
    assert len(FINISHED.findall(drawn)) == 2 and "Traceback" not in drawn


def test_the_same_sweep_in_a_pipe_prints_no_progress(sales: Path):
    result = run_wb(*SWEEP, "-e", "pipe", cwd=sales).ok()
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(FINISHED.fullmatch(line) for line in lines), result.stderr


def test_one_run_counts_its_boosting_rounds_and_predict_its_stages_json_stays_quiet(
    sales: Path, tmp_path: Path
):
    screen = on_terminal(
        *TRAIN, "--param", "n_estimators=500", "--register", "demand", "-e", "one", cwd=sales
    )
    assert screen.returncode == 0, screen.stderr
    assert "fitting lightgbm: round 500/500" in screen.drawn, screen.drawn
    assert "logging metrics and the model" in screen.drawn

    out = tmp_path / "scored.csv"
    screen = on_terminal("predict", "demand", str(DROPS / "week_02.csv"), "-o", str(out), cwd=sales)
    assert screen.returncode == 0, screen.stderr
    assert f"writing {out}" in screen.drawn and screen.left == ""
    assert re.search(r"wrote [\d,]+ predictions of demand@1", screen.stdout), screen.stdout

    # --json on a terminal: nothing on stderr at all, as in a pipe.
    screen = on_terminal(
        "predict", "demand", str(DROPS / "week_02.csv"), "-o", str(out), "--force", "--json", cwd=sales
    )
    assert screen.returncode == 0 and screen.stderr == "", screen.stderr
    screen = on_terminal(*TRAIN, "--json", "-e", "json", cwd=sales)
    assert screen.returncode == 0 and screen.stderr == "", screen.stderr


def test_ctrl_c_during_the_progress_line_leaves_one_sentence_and_exits_130(sales: Path):
    screen = on_terminal(
        *TRAIN,
        "--param",
        "n_estimators=1000000",
        "--param",
        "learning_rate=0.0001",
        "-e",
        "ctrl_c",
        cwd=sales,
        until="fitting lightgbm: round",
    )
    assert screen.returncode == 130, screen.stderr
    assert "Traceback" not in screen.drawn and screen.stdout == ""
    assert re.fullmatch(
        r"error: interrupted; 1 run marked killed \([0-9a-f]{12}\), and no more "
        r"were started\n",
        screen.left,
    ), screen.left
    found = run_wb("runs", "list", "-e", "ctrl_c", "--json", cwd=sales).json()
    assert [r["status"] for r in found] == ["killed"]
