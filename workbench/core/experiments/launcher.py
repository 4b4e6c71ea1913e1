"""Launching a program as a tracked run (`wb run -- COMMAND`), on this machine.

The supervisor (this process) creates the run, starts the child with WB_RUN_ID and WB_WORKSPACE
in its environment (so `wb.start_run()` there attaches to the run), tees the child's stdout and
stderr to its own and to log files, keeps the heartbeat, and ends the run with the child's exit
status: finished on 0, failed otherwise, killed on Ctrl-C or SIGTERM (`wb runs kill`). The logs
are stored as the run's artifacts `logs/stdout.log` and `logs/stderr.log`.

`LocalExecutor` is the one place a run's process is started: the seam where another executor
(a cluster) would plug in.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import InvalidInput
from ..storage.db import transaction
from ..storage.workspace import ENV_VAR, Workspace
from . import runs
from .tracking import ENV_RUN_ID

KILL_GRACE_S = 10.0
EXIT_NOT_STARTED = 130  # a run killed before its program started


@dataclass(frozen=True)
class Outcome:
    run_id: str
    status: str
    exit_code: int


def check_command(command: Sequence[str]) -> None:
    if not command:
        raise InvalidInput("give the command to run after `--`, e.g. `wb run -- python train.py`")
    if shutil.which(command[0]) is None:
        raise InvalidInput(f"command not found: {command[0]}")


def resolve_inputs(ws: Workspace, refs: Sequence[str]) -> list:
    from ..data import datasets

    return [datasets.resolve(ws, ref) for ref in refs]


def create_command_run(ws: Workspace, command: Sequence[str], *, experiment: str | None,
                       data: Sequence[str], name: str | None = None, queued: bool = False,
                       tags: dict[str, str] | None = None) -> str:
    """Validate and record a command run; nothing is recorded if the command or data are bad."""
    check_command(command)
    inputs = resolve_inputs(ws, data)
    run_id = runs.create(ws, experiment=experiment, kind="command", command=list(command),
                         cwd=Path.cwd(), name=name, status="queued" if queued else "running",
                         tags=tags)
    for version in inputs:
        runs.add_input(ws, run_id, version)
    return run_id


class _Terminated(Exception):
    """SIGTERM reached the supervisor: the run is being killed."""


class LocalExecutor:
    """Runs the child process here and supervises it until it ends."""

    def execute(self, ws: Workspace, run_id: str, command: Sequence[str]) -> Outcome:
        log_dir = ws.wb_dir / "runs" / run_id
        log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, ENV_RUN_ID: run_id, ENV_VAR: str(ws.root)}
        with transaction(ws.conn) as conn:
            if not runs.mark_running(conn, run_id, os.getpid()):
                return Outcome(run_id, "killed", EXIT_NOT_STARTED)  # killed while queued
        previous = signal.signal(signal.SIGTERM, _raise_terminated) \
            if threading.current_thread() is threading.main_thread() else None
        status, error, code = "failed", None, -1
        try:
            with open(log_dir / "stdout.log", "wb") as out_log, \
                    open(log_dir / "stderr.log", "wb") as err_log:
                child = subprocess.Popen(list(command), env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                tees = [_tee(child.stdout, sys.stdout.buffer, out_log),
                        _tee(child.stderr, sys.stderr.buffer, err_log)]
                try:
                    code = _wait_with_heartbeat(ws, run_id, child)
                    status = "finished" if code == 0 else "failed"
                    error = None if code == 0 else f"exited with code {code}"
                except (KeyboardInterrupt, _Terminated) as exc:
                    code = _stop(child, signal.SIGINT if isinstance(exc, KeyboardInterrupt)
                                 else signal.SIGTERM)
                    status, error = "killed", "interrupted" if isinstance(
                        exc, KeyboardInterrupt) else "killed by SIGTERM"
                for tee in tees:
                    tee.join()
        except OSError as exc:
            error = f"could not start {command[0]}: {exc.strerror}"
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self._store_logs(ws, run_id, log_dir)
            with transaction(ws.conn) as conn:
                runs.finish(conn, run_id, status, error=error, exit_code=code)
        return Outcome(run_id, status, code)

    @staticmethod
    def _store_logs(ws: Workspace, run_id: str, log_dir: Path) -> None:
        for stream in ("stdout", "stderr"):
            path = log_dir / f"{stream}.log"
            if path.exists():
                runs.add_artifact(ws, run_id, path, f"logs/{stream}.log", "log")
        shutil.rmtree(log_dir, ignore_errors=True)


def _raise_terminated(signum, frame) -> None:
    raise _Terminated


def _tee(source: BinaryIO, *sinks: BinaryIO) -> threading.Thread:
    def pump() -> None:
        for chunk in iter(lambda: source.read1(65536), b""):
            for sink in sinks:
                try:
                    sink.write(chunk)
                    sink.flush()
                except (OSError, ValueError):
                    pass  # a closed terminal must not stop the log file
        source.close()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def _wait_with_heartbeat(ws: Workspace, run_id: str, child: subprocess.Popen) -> int:
    while True:
        try:
            return child.wait(timeout=runs.HEARTBEAT_INTERVAL_S)
        except subprocess.TimeoutExpired:
            with transaction(ws.conn) as conn:
                runs.heartbeat(conn, run_id)


def _stop(child: subprocess.Popen, sig: int) -> int:
    """Pass the signal on, give the child time to clean up, then insist."""
    if child.poll() is None:
        child.send_signal(sig)
        try:
            return child.wait(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
    return child.wait()


def detach(ws: Workspace, run_id: str, command: Sequence[str]) -> int:
    """Start a background supervisor for a queued run; returns its pid."""
    argv = [sys.executable, "-m", "workbench", "-w", str(ws.root), "run", "--adopt", run_id,
            "--", *command]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


def kill(ws: Workspace, ref: str, wait_s: float = KILL_GRACE_S + 5) -> str:
    """Stop a running run's process (SIGTERM) and wait for it to go; a supervisor records the
    run as killed itself, a script using the API is recorded as killed here."""
    run_id = runs.resolve(ws, ref)
    with transaction(ws.conn) as conn:  # taken before a supervisor can move queued to running
        row = conn.execute("SELECT name, status, pid, host FROM runs WHERE id = ?",
                           (run_id,)).fetchone()
        if row["status"] == "queued":
            # Its supervisor has not started (the pid on record is the process that queued
            # it): recording it killed is enough, for the supervisor checks before it starts.
            runs.finish(conn, run_id, "killed", error="killed by `wb runs kill` while queued")
            return run_id
    if row["status"] != "running":
        raise InvalidInput(f"run {row['name']} is {row['status']}, not running")
    if row["host"] != socket.gethostname():
        raise InvalidInput(f"run {row['name']} runs on {row['host']}, not on this machine")
    try:
        os.kill(row["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + wait_s
    while runs.pid_alive(row["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition (the process is gone), with a deadline
    with transaction(ws.conn) as conn:
        runs.finish(conn, run_id, "killed", error="killed by `wb runs kill`")
    return run_id


def launch_training(ws: Workspace, argv: Sequence[str],
                    stderr: BinaryIO | int = subprocess.DEVNULL) -> subprocess.Popen:
    """Start `wb train ARGV` in the background, in its own session (so it outlives the caller);
    its runs appear in the workspace as it goes (the TUI's launch form). Give `stderr` a file
    to read its one-sentence error if it fails; a pipe would break when the caller exits."""
    command = [sys.executable, "-m", "workbench", "-w", str(ws.root), "train", *argv]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=stderr, start_new_session=True)
