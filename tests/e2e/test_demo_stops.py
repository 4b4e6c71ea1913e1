"""`wb demo` stopped halfway, by SIGTERM as by Ctrl-C, removes what it made; a path under a
file is refused in one sentence."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.e2e.conftest import Runner, popen_wb

DEADLINE_S = 60.0


def test_sigterm_halfway_through_the_demo_removes_the_unfinished_workspace(tmp_path: Path):
    target = tmp_path / "demo"
    proc = popen_wb("demo", target, "--no-ui", cwd=tmp_path)
    deadline = time.monotonic() + DEADLINE_S
    while not (target / ".wb" / "wb.db").exists():  # the build is under way
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the demo never started its workspace"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 130, stderr
    assert "removed" in stderr and "Traceback" not in stderr
    assert not target.exists()


def test_a_demo_path_under_a_file_is_refused(tmp_path: Path, wb: Runner):
    (tmp_path / "afile").write_text("x")
    line = wb("demo", tmp_path / "afile" / "sub", "--no-ui", cwd=tmp_path).failed_cleanly(2)
    assert "is a file" in line
