"""`wb run -- COMMAND` end to end: the real `wb` in a subprocess tracking a real program.

Only what a user sees is checked: exit codes, what is printed, and what `wb runs show --json`
says afterwards.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEADLINE_S = 60.0
ENDED = {"finished", "failed", "killed", "lost"}


def _env() -> dict[str, str]:
    env = os.environ.copy()
    for var in ("WB_WORKSPACE", "WB_RUN_ID", "COLUMNS", "LINES"):
        env.pop(var, None)
    return env


def wb(root: Path, *args: str | os.PathLike, timeout: float = DEADLINE_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *(str(a) for a in args)],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.args, result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def show(root: Path, run_ref: str) -> dict:
    return json.loads(ok(wb(root, "runs", "show", run_ref, "--json")).stdout)


def all_runs(root: Path) -> list[dict]:
    return json.loads(ok(wb(root, "runs", "list", "--limit", "0", "--json")).stdout)


def await_status(root: Path, run_id: str, wanted: set[str]) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        info = show(root, run_id)
        if info["status"] in wanted:
            return info
        assert time.monotonic() < deadline, f"run still {info['status']}, waited for {wanted}"


def stored_bytes(root: Path, info: dict, path: str) -> bytes:
    [artifact] = [a for a in info["artifacts"] if a["path"] == path]
    oid = artifact["hash"]
    return (root / ".wb" / "objects" / "blake3" / oid[:2] / oid[2:]).read_bytes()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A workspace with `sales@1`, the folder every command runs in."""
    folder = tmp_path / "ws"
    folder.mkdir()
    ok(wb(folder, "init"))
    (folder / "sales.csv").write_text("date,store,units\n2026-03-02,S01,9\n2026-03-03,S02,4\n")
    ok(wb(folder, "data", "add", "sales.csv", "--name", "sales"))
    return folder


SCRIPT = """\
import sys
import workbench as wb

with wb.start_run(experiment="ignored-inside-wb-run") as run:
    for step in range(5):
        run.log_metric("loss", 1.0 / (step + 1))
    run.log_params({"lr": 0.1, "layers": 2})
    run.set_tag("source", "script")
print("hello from the script", flush=True)
print("a warning", file=sys.stderr)
"""


def test_a_script_logs_into_the_run_wb_run_made(root):
    (root / "train.py").write_text(SCRIPT)
    result = ok(wb(root, "run", "-e", "demo", "-d", "sales@1", "--", sys.executable, "train.py"))
    assert "hello from the script" in result.stdout  # tee'd to wb's own stdout
    assert "a warning" in result.stderr
    [listed] = all_runs(root)  # start_run() attached: no second run
    info = show(root, listed["id"])
    assert (info["status"], info["exit_code"], info["kind"], info["experiment"]) == (
        "finished",
        0,
        "command",
        "demo",
    )
    assert info["metrics"] == {"loss": 0.2} and info["metric_steps"] == {"loss": 5}
    assert info["params"] == {"lr": 0.1, "layers": 2} and info["tags"] == {"source": "script"}
    assert [(i["dataset"], i["version"]) for i in info["inputs"]] == [("sales", 1)]
    assert info["command"] == [sys.executable, "train.py"]
    assert stored_bytes(root, info, "logs/stdout.log") == b"hello from the script\n"
    assert stored_bytes(root, info, "logs/stderr.log") == b"a warning\n"
    assert info["environment"]["python"] == sys.version.split()[0]


def test_the_exit_code_propagates_and_fails_the_run(root):
    result = wb(root, "run", "--", sys.executable, "-c", "import sys; sys.exit(3)")
    assert result.returncode == 3, (result.stdout, result.stderr)
    [listed] = all_runs(root)
    info = show(root, listed["id"])
    assert (info["status"], info["exit_code"]) == ("failed", 3)
    assert "3" in info["error"]


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "give the command to run"),
        (("--",), "give the command to run"),
        (("--", "no-such-command-wb-test"), "command not found"),
        (("-d", "nosuch", "--", sys.executable, "-c", "pass"), "no dataset named 'nosuch'"),
    ],
)
def test_a_bad_command_exits_2_and_leaves_no_run(root, args, words):
    result = wb(root, "run", *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert all_runs(root) == []


def test_a_detached_run_prints_its_id_and_finishes(root):
    result = ok(
        wb(root, "run", "--detach", "-e", "bg", "--", sys.executable, "-c", "print('from the background')")
    )
    run_id = result.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", run_id), result.stdout
    info = await_status(root, run_id, ENDED)
    assert (info["status"], info["exit_code"], info["experiment"]) == ("finished", 0, "bg")
    assert stored_bytes(root, info, "logs/stdout.log") == b"from the background\n"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_wb_runs_kill_stops_a_detached_run(root):
    program = "import os, time; print(os.getpid(), flush=True); time.sleep(60)"
    run_id = ok(wb(root, "run", "--detach", "--", sys.executable, "-c", program)).stdout.strip()
    await_status(root, run_id, {"running"})
    # The supervisor writes the program's output to the run's log as it comes: wait for the pid.
    log = root / ".wb" / "runs" / run_id / "stdout.log"
    deadline = time.monotonic() + DEADLINE_S
    while not (log.is_file() and log.read_text().endswith("\n")):
        assert time.monotonic() < deadline, "the detached program never started"
        time.sleep(0.01)  # polling a condition, with a deadline
    child = int(log.read_text().split()[0])
    assert _pid_alive(child)

    killed = wb(root, "runs", "kill", run_id[:8])
    assert killed.returncode == 0, killed.stderr
    info = await_status(root, run_id, ENDED)
    assert info["status"] == "killed"
    deadline = time.monotonic() + DEADLINE_S
    while _pid_alive(child):  # no orphan left sleeping
        assert time.monotonic() < deadline, f"the program (pid {child}) outlived its killed run"
        time.sleep(0.01)
    again = wb(root, "runs", "kill", run_id)
    assert again.returncode == 2 and "not running" in again.stderr


def test_ctrl_c_on_a_foreground_run_marks_it_killed_and_exits_130(root):
    program = "import time; print('ready', flush=True); time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "--", sys.executable, "-c", program],
        cwd=root,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        line = ""
        while "ready" not in line:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the program never said it was ready"
            if select.select([proc.stdout], [], [], remaining)[0]:
                line = proc.stdout.readline()
                assert line or proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "workbench" not in err  # the program's own KeyboardInterrupt, but no trace from wb
    [listed] = all_runs(root)
    info = show(root, listed["id"])
    assert info["status"] == "killed"
    assert stored_bytes(root, info, "logs/stdout.log") == b"ready\n"


def test_a_run_killed_while_queued_stays_killed_when_its_supervisor_starts_late(root):
    # `wb run --detach` records the run as queued and starts a background supervisor
    # (`wb run --adopt ID -- COMMAND`). If `wb runs kill` wins the race against that supervisor,
    # the kill must stick: the program must not run, and the run must not end as finished.
    queue = (
        "import sys, pathlib\n"
        "from workbench.core.experiments import runs\n"
        "from workbench.core.storage.workspace import Workspace\n"
        "ws = Workspace.find()\n"
        "print(runs.create(ws, experiment='late', kind='command', command=sys.argv[1:],\n"
        "                  cwd=pathlib.Path.cwd(), status='queued',\n"
        "                  capture_environment=False))\n"
    )
    marker = root / "ran.txt"
    program = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('ran')"]
    made = subprocess.run(
        [sys.executable, "-c", queue, *program],
        cwd=root,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )
    run_id = made.stdout.strip()
    assert made.returncode == 0 and run_id, made.stderr
    ok(wb(root, "runs", "kill", run_id))  # its recorded pid (the short-lived creator) is gone
    assert show(root, run_id)["status"] == "killed"
    wb(root, "run", "--adopt", run_id, "--", *program)  # the supervisor, arriving late
    assert show(root, run_id)["status"] == "killed"
    assert not marker.exists(), "the program of a killed run was started"


def test_reproducing_a_run_made_outside_git_says_the_code_was_not_pinned(root):
    (root / "train.py").write_text(SCRIPT)
    ok(wb(root, "run", "-d", "sales@1", "--tag", "why=baseline", "--", sys.executable, "train.py"))
    [original] = all_runs(root)
    info = show(root, original["id"])
    assert info["environment"].get("git_commit") is None
    assert info["tags"] == {"why": "baseline", "source": "script"}  # wb run's and the script's
    result = ok(wb(root, "runs", "reproduce", original["id"]))
    assert (
        f"note: the code could not be pinned: {root} was not in a git checkout when the run "
        f"was made, so what it ran may have changed"
    ) in " ".join(result.stdout.split())
