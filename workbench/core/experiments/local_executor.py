"""`LocalExecutor`: the Executor (executor.py) whose launches are processes on this machine.

A command run (`execute`) is supervised by this process: it marks the run running, starts the
child with WB_RUN_ID and WB_WORKSPACE in its environment (so `wb.start_run()` there attaches to
the run), tees the child's stdout and stderr to its own and to log files, keeps the heartbeat,
and ends the run with the child's exit status: finished on 0, failed otherwise, killed on
Ctrl-C or SIGTERM (`wb runs kill`). The logs are stored as the run's artifacts
`logs/stdout.log` and `logs/stderr.log`. `detach` starts such a supervisor in the background
(`wb run --adopt`), `start_training` a background `wb train`, and `train_batch` a pool of
spawned worker processes, each training one run at a time in this workspace.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO

from ..storage.db import transaction
from ..storage.workspace import ENV_VAR, Workspace
from . import runs
from .executor import ENV_RUN_ID, BatchInterrupted, CommandOutcome, TrialOutcome

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from .training import OnProgress, TrainSpec, Watch

KILL_GRACE_S = 10.0
EXIT_NOT_STARTED = 130  # a run killed before its program started
INTERRUPTED = "interrupted"  # a worker's error for the run it ended as killed


class _Terminated(Exception):
    """SIGTERM reached the supervisor: the run is being killed."""


class LocalExecutor:
    """Launches on this machine: child processes, supervised here or in the background."""

    def execute(self, ws: Workspace, run_id: str, command: Sequence[str]) -> CommandOutcome:
        log_dir = ws.wb_dir / "runs" / run_id
        log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, ENV_RUN_ID: run_id, ENV_VAR: str(ws.root)}
        with transaction(ws.conn) as conn:
            if not runs.mark_running(conn, run_id, os.getpid()):
                return CommandOutcome(run_id, "killed", EXIT_NOT_STARTED)  # killed while queued
        previous = (
            signal.signal(signal.SIGTERM, _raise_terminated)
            if threading.current_thread() is threading.main_thread()
            else None
        )
        status, error, code = "failed", None, -1
        try:
            with open(log_dir / "stdout.log", "wb") as out_log, open(log_dir / "stderr.log", "wb") as err_log:
                child = subprocess.Popen(
                    list(command),
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                )
                # PIPE with the default buffering: both are BufferedReaders (typeshed: IO | None)
                assert isinstance(child.stdout, io.BufferedReader)
                assert isinstance(child.stderr, io.BufferedReader)
                tees = [
                    _tee(child.stdout, sys.stdout.buffer, out_log),
                    _tee(child.stderr, sys.stderr.buffer, err_log),
                ]
                try:
                    code = _wait_with_heartbeat(ws, run_id, child)
                    status = "finished" if code == 0 else "failed"
                    error = None if code == 0 else f"exited with code {code}"
                except (KeyboardInterrupt, _Terminated) as exc:
                    code = _stop(
                        child, signal.SIGINT if isinstance(exc, KeyboardInterrupt) else signal.SIGTERM
                    )
                    status, error = (
                        "killed",
                        "interrupted" if isinstance(exc, KeyboardInterrupt) else "killed by SIGTERM",
                    )
                for tee in tees:
                    tee.join()
        except OSError as exc:
            error = f"could not start {command[0]}: {exc.strerror}"
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            _store_logs(ws, run_id, log_dir)
            with transaction(ws.conn) as conn:
                runs.finish(conn, run_id, status, store=ws.store, error=error, exit_code=code)
        return CommandOutcome(run_id, status, code)

    def detach(self, ws: Workspace, run_id: str, command: Sequence[str]) -> int:
        argv = [
            sys.executable,
            "-m",
            "workbench",
            "-w",
            str(ws.root),
            "run",
            "--adopt",
            run_id,
            "--",
            *command,
        ]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return proc.pid

    def start_training(
        self, ws: Workspace, argv: Sequence[str], stderr: BinaryIO | int = subprocess.DEVNULL
    ) -> subprocess.Popen:
        """In its own session, so it outlives the caller. Give `stderr` a file: a pipe would
        break when the caller exits."""
        command = [sys.executable, "-m", "workbench", "-w", str(ws.root), "train", *argv]
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )

    def train_batch(
        self,
        ws: Workspace,
        specs: Iterable[TrainSpec],
        *,
        jobs: int,
        experiment: str | None,
        tags: Mapping[str, str],
        on_done: Callable[[TrialOutcome], None] | None = None,
        on_progress: OnProgress | None = None,
        watch: Callable[[], Watch] | None = None,
    ) -> list[TrialOutcome]:
        import multiprocessing  # with concurrent.futures: only when a batch runs
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        filed = {"experiment": experiment, "tags": dict(tags)}  # where each run is filed
        # spawn, not fork: forking a process that has started LightGBM's or BLAS's threads can
        # hang.
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_signals
        )
        pending = iter(specs)
        futures: dict[Future, TrainSpec] = {}  # the runs handed out and not yet ended

        def hand_out() -> None:
            """The next spec, if any, to the pool. Ctrl-C reaches the terminal's whole process
            group: a worker the pool starts now ignores it from its first instruction (an
            ignored signal stays ignored across exec), and this process stops them."""
            spec = next(pending, None)
            if spec is None:
                return
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                task = (str(ws.root), spec.to_dict(), filed, watch and watch())
                futures[pool.submit(_train_in_worker, *task)] = spec
            finally:
                signal.signal(signal.SIGINT, previous)

        outcomes: list[TrialOutcome] = []
        try:
            for _ in range(jobs):
                hand_out()
            if on_progress:
                on_progress("training", None, None)
            while futures:
                for future in wait(futures, return_when=FIRST_COMPLETED).done:
                    run_id, error = future.result()
                    outcomes.append(TrialOutcome(run_id, futures.pop(future), error))
                    if on_done:
                        on_done(outcomes[-1])
                    hand_out()
        except KeyboardInterrupt:
            raise BatchInterrupted(_stop_workers(pool, futures)) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return outcomes


# -- supervising a command ----------------------------------------------------------------
def _store_logs(ws: Workspace, run_id: str, log_dir: Path) -> None:
    for stream in ("stdout", "stderr"):
        path = log_dir / f"{stream}.log"
        if path.exists():
            runs.add_artifact(ws, run_id, path, f"logs/{stream}.log", "log")
    shutil.rmtree(log_dir, ignore_errors=True)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _tee(source: io.BufferedReader, *sinks: BinaryIO) -> threading.Thread:
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


# -- a pool of training workers -----------------------------------------------------------
def _stop_workers(pool: ProcessPoolExecutor, futures: Mapping[Future, Any]) -> list[str | None]:
    """Cancel what has not started, tell the workers to end their runs as killed (SIGTERM, see
    `_worker_signals`), and return the ids of the runs they stopped. The pool is shut down (and
    its manager thread joined) by the caller afterwards: a manager thread still running at exit
    races Python's own shutdown of it into an 'Exception ignored' traceback."""
    import multiprocessing
    from concurrent.futures import wait

    for future in futures:
        future.cancel()
    for child in multiprocessing.active_children():
        child.terminate()
    stopped = []
    for future in wait(futures).done:
        if not future.cancelled() and future.exception() is None:
            run_id, error = future.result()
            if error == INTERRUPTED:
                stopped.append(run_id)
    return stopped


# A worker's state for its SIGTERM handler: whether it is training, and whether it was told to stop.
_worker = {"busy": False, "stopping": False}


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)


def _stop_worker(signum: int, frame: FrameType | None) -> None:
    """The batch was interrupted: a training worker ends its run as killed; an idle one simply
    takes no more work (the pool's shutdown then ends it quietly, with no traceback)."""
    _worker["stopping"] = True
    if _worker["busy"]:
        raise KeyboardInterrupt


def _train_in_worker(
    root: str, spec: dict, filed: dict[str, Any], watch: Watch | None
) -> tuple[str | None, str | None]:
    from . import training

    if _worker["stopping"]:
        return None, INTERRUPTED
    _worker["busy"] = True
    try:
        ws = Workspace(Path(root))
        prepared = training.prepare(ws, training.TrainSpec(**spec))
        outcome = training.attempt(ws, prepared, **filed, watch=watch)
        return outcome.run_id, outcome.error
    except training.TrainingInterrupted as exc:
        return exc.run_id, INTERRUPTED
    except KeyboardInterrupt:
        return None, INTERRUPTED
    finally:
        _worker["busy"] = False
