"""`wb log | head`: once the reader of wb's output has gone, wb stops the way git does:
exit 141 (128 + SIGPIPE), nothing on stderr, no "crashed"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import wb_env


@pytest.mark.parametrize("args", [("log", "--json"), ("status",), ("data", "list")])
def test_a_reader_that_went_away_ends_wb_quietly(workspace: Path, args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before wb writes anything
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            cwd=workspace,
            env=wb_env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141 and proc.stderr == ""
