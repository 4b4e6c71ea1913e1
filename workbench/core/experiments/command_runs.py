"""Command runs' records (`wb run -- COMMAND`): checking and recording one before its process is
launched (through an Executor, executor.py), and killing a running run's process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Sequence
from pathlib import Path

from ..errors import InvalidInput
from ..storage.db import transaction
from ..storage.workspace import Workspace
from . import runs
from .local_executor import KILL_GRACE_S


def check_command(command: Sequence[str]) -> None:
    if not command:
        raise InvalidInput("give the command to run after `--`, e.g. `wb run -- python train.py`")
    if shutil.which(command[0]) is None:
        raise InvalidInput(f"command not found: {command[0]}")


def resolve_inputs(ws: Workspace, refs: Sequence[str]) -> list:
    from ..data import datasets

    return [datasets.resolve(ws, ref) for ref in refs]


def create_command_run(
    ws: Workspace,
    command: Sequence[str],
    *,
    experiment: str | None,
    data: Sequence[str],
    name: str | None = None,
    queued: bool = False,
    tags: dict[str, str] | None = None,
) -> str:
    """Validate and record a command run; nothing is recorded if the command or data are bad."""
    check_command(command)
    inputs = resolve_inputs(ws, data)
    run_id = runs.create(
        ws,
        experiment=experiment,
        kind="command",
        command=list(command),
        cwd=Path.cwd(),
        name=name,
        status="queued" if queued else "running",
        tags=tags,
    )
    for version in inputs:
        runs.add_input(ws, run_id, version)
    return run_id


def kill(ws: Workspace, ref: str, wait_s: float = KILL_GRACE_S + 5) -> str:
    """Stop a running run's process (SIGTERM) and wait for it to go; a supervisor records the
    run as killed itself, a script using the API is recorded as killed here."""
    run_id = runs.resolve(ws, ref)
    with transaction(ws.conn) as conn:  # taken before a supervisor can move queued to running
        row = runs.process_of(conn, run_id)
        if row["status"] == "queued":
            # Its supervisor has not started (the pid on record is the process that queued
            # it): recording it killed is enough, for the supervisor checks before it starts.
            runs.finish(conn, run_id, "killed", store=ws.store, error="killed by `wb runs kill` while queued")
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
        runs.finish(conn, run_id, "killed", store=ws.store, error="killed by `wb runs kill`")
    return run_id
