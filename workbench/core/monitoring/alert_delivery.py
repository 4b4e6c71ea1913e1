"""Sending alerts on: each new alert appended to `[alerts] file` as one JSON line and passed to
`[alerts] command` as one JSON document on stdin, retried with backoff when a channel fails.

Decision: delivery is done by a detached helper process (this module run with `python -m`),
not by a thread of the caller. `wb drift check` is short-lived and the watcher can be stopped
at any moment; a thread dies with its process, and waiting for it at exit would make a slow
receiver block the caller after all. The helper is started when the alert is raised, inside the
caller's transaction: it waits for the alert to be committed (and gives up quietly when it never
is, the transaction having rolled back), then, holding `.wb/alerts.lock` so that receivers get
alerts one at a time and in order, delivers every pending alert, oldest first. Each alert is
pending in the database until delivered, so one whose helper was killed goes out with the next.
How each went is recorded: an `alert.delivered` or `alert.undelivered` event in the audit log
(with each channel's attempts and reason) and the alert's `delivery` in `wb alerts list`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config
from ..errors import WbError
from ..storage.locks import file_lock
from ..storage.workspace import ENV_VAR, WB_DIR, Workspace
from ..timeutil import now_iso
from . import alerts

BACKOFF_S = 1.0  # the wait after a first failure, doubled after each further one...
MAX_BACKOFF_S = 60.0  # ...up to this
COMMIT_WAIT_S = 60.0  # how long the helper waits for the raising transaction to commit
REASON_CHARS = 300  # how much of a command's stderr a failure's reason keeps


class Undelivered(Exception):
    """One attempt on one channel failed; the message says why, as the end of a sentence."""


@dataclass(frozen=True)
class Delivery:
    """What became of an alert on one channel."""

    channel: str  # "file" or "command"
    target: str  # the file's path, or the command line
    delivered: bool
    attempts: int
    reason: str | None  # why the last attempt failed; None when delivered

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "target": self.target,
            "delivered": self.delivered,
            "attempts": self.attempts,
            "reason": self.reason,
        }

    def describe(self) -> str:
        if self.delivered:
            return f"{self.channel} {self.target}: delivered"
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{self.channel} {self.target}: failed{tries}: {self.reason}"


@dataclass(frozen=True)
class SampleDelivery:
    """`wb alerts test`: what became of the sample alert on each configured channel."""

    deliveries: list[Delivery]

    @property
    def configured(self) -> bool:
        return bool(self.deliveries)

    @property
    def failed(self) -> bool:
        return not all(d.delivered for d in self.deliveries)

    def to_dict(self) -> dict[str, Any]:
        return {"configured": self.configured, "deliveries": [d.to_dict() for d in self.deliveries]}


# -- what the alerts module asks when an alert is raised -----------------------------------
def workspace_root(conn: sqlite3.Connection) -> Path | None:
    """The root of the workspace whose database `conn` is (db.Connection knows its file)."""
    where = getattr(conn, "where", None)
    return None if where is None else Path(where).parent.parent


def settings(root: Path) -> config.AlertSettings:
    return config.load(root / WB_DIR / "config.toml").alerts


def start(root: Path, alert_id: int) -> None:
    """Start the detached helper that delivers `alert_id` once it is committed (and any other
    pending alert). It costs the caller one short-lived `sh`, never the delivery itself."""
    helper = [sys.executable, "-m", __name__, str(root), str(alert_id)]
    log = root / WB_DIR / "alert-delivery.log"  # where a crash of the helper would say why
    # sh puts the helper in the background and exits at once: the helper, adopted by init, is
    # nobody's child to reap, and in its own session the caller's Ctrl-C does not reach it.
    try:
        subprocess.run(
            [
                "/bin/sh",
                "-c",
                'log="$1"; shift; "$@" </dev/null >/dev/null 2>>"$log" &',
                "sh",
                str(log),
                *helper,
            ],
            start_new_session=True,
            check=False,
        )
    except OSError:
        pass  # no process to spare: the alert stays pending, and goes out with the next one's helper


# -- sending -----------------------------------------------------------------------------
def send(document: str, chosen: config.AlertSettings, root: Path, attempts: int) -> list[Delivery]:
    """Deliver one alert's JSON `document` to each configured channel, the file first, each
    tried up to `attempts` times with backoff between."""
    out = []
    if chosen.file:
        path = root / chosen.file
        out.append(_retried("file", chosen.file, lambda: _append_line(path, document), attempts))
    if chosen.command:
        run = lambda: _run(chosen.command, document, chosen.timeout_s, root)  # noqa: E731
        out.append(_retried("command", shlex.join(chosen.command), run, attempts))
    return out


def _retried(channel: str, target: str, attempt: Callable[[], None], attempts: int) -> Delivery:
    reason = None
    for n in range(1, attempts + 1):
        try:
            attempt()
            return Delivery(channel, target, True, n, None)
        except Undelivered as exc:
            reason = str(exc)
        if n < attempts:
            time.sleep(min(BACKOFF_S * 2 ** (n - 1), MAX_BACKOFF_S))
    return Delivery(channel, target, False, attempts, reason)


def _append_line(path: Path, document: str) -> None:
    """Append one whole line, or nothing: under a lock (helpers and `wb alerts test` may
    write at once), cut back to its old size if the write falls short (a full disk), synced."""
    data = (document + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise Undelivered(f"cannot open it ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        try:
            if os.write(fd, data) != len(data):
                raise OSError(28, "No space left on device")
            os.fsync(fd)
        except OSError as exc:
            os.ftruncate(fd, size)
            raise Undelivered(f"cannot append to it ({exc.strerror})") from None
    finally:
        os.close(fd)  # releases the lock


def _run(command: list[str], document: str, timeout_s: float, root: Path) -> None:
    """Run the receiver in the workspace folder, with WB_WORKSPACE set for any `wb` it runs."""
    try:
        done = subprocess.run(
            command,
            input=(document + "\n").encode(),
            capture_output=True,
            timeout=timeout_s,
            cwd=root,
            env={**os.environ, ENV_VAR: str(root)},
            check=False,
        )
    except FileNotFoundError:
        raise Undelivered(f"{command[0]} was not found") from None
    except subprocess.TimeoutExpired:
        raise Undelivered(f"it did not finish within {timeout_s:g} s, and was stopped") from None
    except OSError as exc:
        raise Undelivered(f"{command[0]} could not be run ({exc.strerror})") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.decode(errors="replace").split())[-REASON_CHARS:]
        how = (
            f"was killed by signal {-done.returncode}"
            if done.returncode < 0
            else f"exited with {done.returncode}"
        )
        raise Undelivered(f"it {how}" + (f": {said}" if said else ""))


def send_sample(ws: Workspace) -> SampleDelivery:
    """`wb alerts test`: a sample alert, marked `"test": true` and stored nowhere, through
    each configured channel, tried once so that the answer comes at once."""
    sample = alerts.Alert(
        id=0,
        kind="test",
        subject=None,
        message="a sample alert from `wb alerts test`: nothing needs a look",
        created_at=now_iso(),
        acked=False,
        severity=alerts.severity_of("test"),
    )
    return SampleDelivery(send(_json(sample.document(ws.root, test=True)), ws.config.alerts, ws.root, 1))


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


# -- the helper --------------------------------------------------------------------------
def deliver_pending(ws: Workspace) -> None:
    """Deliver every pending alert, oldest first, one helper at a time."""
    with file_lock(ws.wb_dir / "alerts.lock"):
        while (alert := alerts.next_pending(ws)) is not None:
            done, said = _deliver(ws, alert)
            delivered = bool(done) and all(d.delivered for d in done)
            alerts.settle(
                ws, alert.id, delivered, f"alert {alert.id} {said}", {"channels": [d.to_dict() for d in done]}
            )


def _deliver(ws: Workspace, alert: alerts.Alert) -> tuple[list[Delivery], str]:
    """Send one alert: what each channel did, and that in a few words for the audit log."""
    try:
        chosen = settings(ws.root)  # read afresh: the config may have changed since the alert
    except WbError as exc:
        return [], f"not delivered: {exc}"
    done = send(_json(alert.document(ws.root)), chosen, ws.root, chosen.attempts)
    if not done:
        return [], "not delivered: [alerts] names no command or file any more"
    if all(d.delivered for d in done):
        return done, "delivered to " + " and ".join(f"{d.channel} {d.target}" for d in done)
    return done, "not delivered: " + "; ".join(d.describe() for d in done if not d.delivered)


def _committed(ws: Workspace, alert_id: int) -> bool:
    """Wait until the transaction that raised `alert_id` has committed; False if it never does."""
    deadline = time.monotonic() + COMMIT_WAIT_S
    pause = 0.01
    while alerts.get(ws, alert_id) is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
    return True


def main(argv: list[str]) -> int:
    root, alert_id = Path(argv[0]), int(argv[1])
    ws = Workspace(root)
    try:
        if _committed(ws, alert_id):
            deliver_pending(ws)
    finally:
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
