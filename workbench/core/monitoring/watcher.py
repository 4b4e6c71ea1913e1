"""`wb watch DIR --dataset NAME`: every data drop that lands in DIR is versioned, validated
against the dataset's contract and drift-checked, with the results in the audit log and alerts.

A file is taken once it is complete: its size and mtime have held still for SETTLE_S, counted
from its last write (so a file written elsewhere and renamed into place is taken at once).
A folder (a partitioned drop of Parquet files, trees.py) is taken once it holds `_SUCCESS`,
as Spark and Hadoop write one when a job commits, or else once nothing under it has changed
for FOLDER_SETTLE_S: writers pause between a folder's files longer than within one file.
Hidden and temp files are ignored. A file whose bytes were
already taken for this dataset is skipped, so restarts and copies do nothing twice; files that
arrived while the watcher was down are taken at start. A bad file raises an alert and the
watcher goes on. A stop request (SIGINT, SIGTERM, `stop()`) takes effect between files.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import events
from ..data import datasets, trees
from ..errors import InvalidInput, NotFound, WbError
from ..experiments import runs
from ..models import registry, rollout_outcomes, scoring
from ..names import check_name, plural
from ..storage import hashing
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import alerts, drift, retraining
from .records import DriftReport

SETTLE_S = 0.5
FOLDER_SETTLE_S = 5.0
SUCCESS = "_SUCCESS"  # a folder's marker that its writer is done
POLL_MS = 250
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")
SAME_BYTES = "same bytes as"  # the start of a skip that is news: a copy under a new name
REFUSED_BEFORE = "refused before"  # ...or a drop refused before, still the same bytes
TAKING = "taking"  # a drop's outcome from when a watcher takes it until its checks are done
STALE_S = 30.0  # a watcher on another machine silent this long is taken to be dead


@dataclass
class DropOutcome:
    """What became of one file that landed in the watched folder."""

    path: str
    status: str  # "added", "unchanged", "skipped", "failed"
    detail: str
    version: str | None = None
    dataset_drift: bool | None = None


def _scorer(
    found: list[retraining.Champion], version: datasets.DatasetVersion
) -> tuple[str | None, str | None]:
    """The production model that scores a drop in its drift check (with `--retrain`), and its
    target when the drop has it (labels: so degraded performance is seen, and retrains)."""
    if not found:
        return None, None
    columns = {c["name"] for c in version.profile["columns"]}
    return (
        f"{found[0].model}@{registry.PRODUCTION}",
        found[0].target if found[0].target in columns else None,
    )


def _state(path: Path) -> tuple[tuple[int, ...], float, float]:
    """(what changes when `path` is written to, the unix time of its last write, how long it
    must hold still): a file's size and mtime; a folder's files' count, total size and latest
    mtime, and no wait once it holds SUCCESS."""
    if not path.is_dir():
        st = path.stat()
        return (st.st_size, st.st_mtime_ns), st.st_mtime_ns / 1e9, SETTLE_S
    count = size = 0
    latest = path.stat().st_mtime_ns  # a file made in it: an empty folder is not done either
    for sub in path.rglob("*"):
        with contextlib.suppress(FileNotFoundError):  # a writer's temp file, gone meanwhile
            st = sub.stat()
            count, size, latest = count + 1, size + st.st_size, max(latest, st.st_mtime_ns)
    done = (path / SUCCESS).is_file()
    return (count, size, latest, done), latest / 1e9, 0.0 if done else FOLDER_SETTLE_S


def is_candidate(path: Path) -> bool:
    name = path.name
    return not name.startswith((".", "~")) and not name.endswith(IGNORED_SUFFIXES)


class Watcher:
    def __init__(
        self,
        ws: Workspace,
        folder: Path,
        dataset: str,
        reference: str | None = None,
        on_outcome: Callable[[DropOutcome], None] | None = None,
        retrain: bool = False,
    ):
        check_name(dataset, "dataset")
        if not folder.is_dir():
            raise InvalidInput(f"{folder} is not a folder")
        if reference is not None:
            datasets.resolve(ws, reference)  # a bad reference is an error now, not per file
        self.ws, self.folder, self.dataset, self.reference = ws, folder.resolve(), dataset, reference
        self.on_outcome = on_outcome or (lambda outcome: None)
        self.retrain = retrain  # judge and retrain the production models (retraining.py)
        self.stop_event = threading.Event()
        # path -> (its state, the monotonic time it is taken at unless its state changes)
        self._seen: dict[Path, tuple[tuple[int, ...], float]] = {}
        self._watcher_id: int | None = None

    def stop(self) -> None:
        self.stop_event.set()

    # -- running ----------------------------------------------------------------------------
    def run(self, once: bool = False, on_start: Callable[[], None] = lambda: None) -> list[DropOutcome]:
        """Check what a dead watcher left unchecked, take what is there; then (unless `once`)
        watch until stopped. `on_start` is called once this watcher holds its folder."""
        self._register()
        on_start()
        try:
            outcomes = self._recover()
            if once:
                self._scan()
                return outcomes + self._take_settled(wait=True)
            return outcomes + self._watch()
        finally:
            self._unregister()

    def _scan(self) -> None:
        for path in self.folder.iterdir():
            if is_candidate(path) and (path.is_file() or path.is_dir()):
                self._note(path)

    def _watch(self) -> list[DropOutcome]:
        import watchfiles

        outcomes: list[DropOutcome] = []
        scanned = False
        for changes in watchfiles.watch(
            self.folder,
            debounce=100,
            step=50,
            rust_timeout=POLL_MS,
            yield_on_timeout=True,
            stop_event=self.stop_event,
            raise_interrupt=False,
            recursive=False,
        ):
            if not scanned:
                # Only now is the watch live: a file landing before this scan is found by it,
                # one landing after raises an event; none slips between the two.
                self._scan()
                scanned = True
            for change, name in changes:
                path = Path(name)
                if change != watchfiles.Change.deleted and is_candidate(path) and path.exists():
                    self._note(path)
            outcomes += self._take_settled(wait=False)
            self._heartbeat()
            if self.stop_event.is_set():
                break
        return outcomes

    def _note(self, path: Path) -> None:
        try:
            state, last_write, settle = _state(path)
        except FileNotFoundError:
            self._seen.pop(path, None)
            return
        known = self._seen.get(path)
        if known is None or known[0] != state:
            # The clock starts at the last write: a file renamed into place after it was
            # written has already held still that long, and is taken at the next look.
            still = min(max(time.time() - last_write, 0.0), settle)
            self._seen[path] = (state, time.monotonic() + settle - still)

    def _take_settled(self, wait: bool) -> list[DropOutcome]:
        """Process the noted files that have held still for SETTLE_S; with `wait`, wait until
        every noted file has (or is gone)."""
        outcomes = []
        while self._seen and not self.stop_event.is_set():
            for path in list(self._seen):
                self._note(path)  # re-stat: a growing file restarts its clock
            now = time.monotonic()
            ready = sorted(p for p, (_, at) in self._seen.items() if now >= at)
            for path in ready:
                if self.stop_event.is_set():
                    break
                del self._seen[path]
                outcome = self.process(path)
                outcomes.append(outcome)
                self.on_outcome(outcome)
                self._heartbeat()  # a long retraining is still a live watcher
            if not wait:
                break
            if self._seen:
                self.stop_event.wait(0.05)  # wait for the files still settling to hold still
        return outcomes

    # -- one file ---------------------------------------------------------------------------
    def process(self, path: Path) -> DropOutcome:
        """Version, validate and drift-check one file; never raises for a bad file."""
        try:
            if path.is_dir():
                tree = trees.of_folder(path)
                digest, size = trees.digest(tree), tree.size
            else:
                digest, size = hashing.hash_file(path), path.stat().st_size
        except OSError as exc:
            return self._failed(path, f"cannot read it: {exc.strerror}")
        except InvalidInput as exc:  # a folder of no Parquet files
            return self._failed(path, str(exc))
        held = self._claim(digest, path, size)
        if held is not None:
            return DropOutcome(str(path), "skipped", held)
        return self._guarded(path, digest, lambda: self._take(path, digest))

    def _take(self, path: Path, digest: str) -> DropOutcome:
        result = datasets.add(
            self.ws, path, self.dataset, f"from wb watch: {path.name}", once=True
        )  # a `wb data add` may take the bytes meanwhile
        if result.unchanged:
            self._settle(digest, "unchanged")
            return DropOutcome(
                str(path), "unchanged", f"same bytes as {result.version.ref}", result.version.ref
            )
        return self._check(result.version, path.name, digest, result.violations)

    def _guarded(self, path: Path, digest: str, step: Callable[[], DropOutcome]) -> DropOutcome:
        """`step`, with any failure an alert and a failed outcome: the watcher goes on."""
        try:
            return step()
        except WbError as exc:
            return self._failed(path, str(exc), digest)
        except Exception as exc:  # a bug in wb must not stop the watcher either
            return self._failed(
                path, f"wb failed on it ({type(exc).__name__}: {exc}); please report this", digest
            )

    def _check(
        self, version: datasets.DatasetVersion, source: str, digest: str, violations: list | None
    ) -> DropOutcome:
        """Everything after the version is committed: contract alert, drift check, retraining.
        Until it ends the drop stays 'taking', so a watcher killed here is rechecked."""
        notes = []
        if violations:
            notes.append(plural(len(violations), "contract violation"))
            self._alert(
                "contract",
                f"{version.ref} from {source} breaks its contract: "
                + "; ".join(f"{v.column}: {v.detail}" for v in violations[:3]),
                version.ref,
            )
        reference = self.reference or datasets.reference_for(self.ws, version)
        dataset_drift = None
        if reference is not None:
            found = retraining.champions(self.ws, self.dataset) if self.retrain else []
            model, target = _scorer(found, version)
            report, unscorable = self._drift(reference, version, source, model, target)
            dataset_drift = report.dataset_drift
            degraded = report.performance is not None and report.performance.degraded
            drifted = report.drifted
            notes.append(
                f"{'dataset drift' if dataset_drift else 'no dataset drift'} against "
                f"{datasets.label(self.ws, reference)}"
                + (f" ({', '.join(drifted)})" if drifted else "")
                + (f"; {model} degraded" if degraded else "")
            )
            if unscorable:
                notes.append(f"{unscorable}: neither judged nor retrained on it")
            elif self.retrain and violations:
                notes.append(f"{version.ref} breaks its contract: no model is judged or retrained on it")
            elif self.retrain:
                notes += retraining.after_drop(
                    self.ws, version, found, needs_retraining=bool(dataset_drift or degraded)
                )
        if not violations:  # labels for a rollout in progress are its outcomes
            notes += rollout_outcomes.join_drop(self.ws, version)
        self._settle(digest, "added")
        return DropOutcome(source, "added", "; ".join(notes), version.ref, dataset_drift)

    def _drift(
        self,
        reference: str,
        version: datasets.DatasetVersion,
        source: str,
        model: str | None,
        target: str | None,
    ) -> tuple[DriftReport, str | None]:
        """The drop's drift report (scored by `model`, production when retraining), and why
        production could not score it, if it could not: then an alert names the columns and the
        report has the features only."""
        try:
            return drift.check(self.ws, reference, version.ref, model=model, target=target), None
        except scoring.Unscorable as exc:
            self._alert(
                "scoring",
                f"{version.ref} (from {source}) was checked on its "
                f"features only, as {model} could not score it: {exc}",
                version.ref,
            )
            return drift.check(self.ws, reference, version.ref), str(exc)

    def _alert(self, kind: str, message: str, subject: str) -> None:
        with transaction(self.ws.conn) as conn:
            alerts.raise_alert(conn, kind, message, subject=subject, link=alerts.AlertLink(dataset=subject))

    def _failed(self, path: Path, reason: str, digest: str | None = None) -> DropOutcome:
        self._alert("bad_file", f"wb watch could not take {path}: {reason}", self.dataset)
        if digest:
            self._settle(digest, "failed")  # the same bad bytes are not retried
        return DropOutcome(str(path), "failed", reason)

    # -- taking a drop once -----------------------------------------------------------------
    def _claim(self, digest: str, path: Path, size: int) -> str | None:
        """Take these bytes for this watcher (None), or say who has: read and written in one
        transaction, so two watchers on one dataset never both take a drop."""
        with transaction(self.ws.conn) as conn:
            row = conn.execute(
                "SELECT f.outcome, f.path, w.pid FROM watch_files f LEFT JOIN "
                "watchers w ON w.id = f.watcher_id WHERE f.dataset = ? AND "
                "f.hash = ?",
                (self.dataset, digest),
            ).fetchone()
            if row is not None:
                if row["outcome"] == TAKING:
                    return f"another watcher (pid {row['pid']}) is taking these bytes"
                if row["path"] == str(path) and row["outcome"] == "failed":
                    return (
                        f"{REFUSED_BEFORE}, with the same bytes (its alert says why); "
                        f"`wb data add {path} --name {self.dataset}` takes it by hand"
                    )
                if row["path"] == str(path):
                    return "these bytes were taken before"
                return self._copy_of(digest, Path(row["path"]).name)
            conn.execute(
                "INSERT INTO watch_files (dataset, hash, path, size, processed_at, "
                "outcome, watcher_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.dataset, digest, str(path), size, now_iso(), TAKING, self._watcher_id),
            )
        return None

    def _copy_of(self, digest: str, first: str) -> str:
        """What a drop under a new name whose bytes were taken before is: a copy, said so."""
        try:
            held = datasets.resolve(self.ws, f"{self.dataset}@{digest}").ref
        except NotFound:  # taken before and refused (a bad file): no version holds them
            return f"{SAME_BYTES} {first}, which was not taken"
        return f"{SAME_BYTES} {held} (taken before from {first})"

    def _settle(self, digest: str, outcome: str) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute(
                "UPDATE watch_files SET outcome = ?, processed_at = ? WHERE dataset = ? AND hash = ?",
                (outcome, now_iso(), self.dataset, digest),
            )

    def _recover(self) -> list[DropOutcome]:
        """Drops a dead watcher took but did not finish: a committed version is checked now;
        one whose version never committed is let go (its file, if still here, is taken anew)."""
        outcomes = []
        for row in self.ws.conn.execute(
            "SELECT hash, path, watcher_id FROM watch_files WHERE dataset = ? AND "
            "outcome = ? ORDER BY processed_at",
            (self.dataset, TAKING),
        ).fetchall():
            if (
                row["watcher_id"] != self._watcher_id
                and not self._alive(row["watcher_id"])
                and (outcome := self._recheck(row["hash"], Path(row["path"]), row["watcher_id"])) is not None
            ):
                outcomes.append(outcome)
                self.on_outcome(outcome)
        return outcomes

    def _recheck(self, digest: str, path: Path, dead_id: int | None) -> DropOutcome | None:
        if not self._take_over(digest, dead_id):
            return None  # another watcher starting now took it over first
        try:
            version = datasets.resolve(self.ws, f"{self.dataset}@{digest}")
        except NotFound:
            with transaction(self.ws.conn) as conn:
                conn.execute("DELETE FROM watch_files WHERE dataset = ? AND hash = ?", (self.dataset, digest))
            return None
        outcome = self._guarded(
            path, digest, lambda: self._check(version, path.name, digest, self._violations(version))
        )
        outcome.detail = f"checked now (its watcher stopped before): {outcome.detail}"
        return outcome

    def _take_over(self, digest: str, dead_id: int | None) -> bool:
        with transaction(self.ws.conn) as conn:
            return (
                conn.execute(
                    "UPDATE watch_files SET watcher_id = ? WHERE dataset = ? AND "
                    "hash = ? AND outcome = ? AND watcher_id IS ?",
                    (self._watcher_id, self.dataset, digest, TAKING, dead_id),
                ).rowcount
                == 1
            )

    def _violations(self, version: datasets.DatasetVersion) -> list | None:
        from ..data import contracts, validation

        if contracts.get_text(self.ws, version.name) is None:
            return None
        return validation.check(self.ws, version.ref, record=False)[1]

    # -- being seen running -----------------------------------------------------------------
    def _alive(self, watcher_id: int | None) -> bool:
        row = self.ws.conn.execute(
            "SELECT host, pid, started_at, heartbeat_at, stopped_at FROM watchers WHERE id = ?", (watcher_id,)
        ).fetchone()
        return row is not None and _running(row)

    def _register(self) -> None:
        """Record this watcher; refused while a live one watches the same folder."""
        with transaction(self.ws.conn) as conn:
            for row in conn.execute(
                "SELECT id, host, pid, started_at, heartbeat_at, stopped_at "
                "FROM watchers WHERE dir = ? AND stopped_at IS NULL",
                (str(self.folder),),
            ).fetchall():
                if _running(row):
                    raise WbError(
                        f"{self.folder} is already watched by wb watch (pid "
                        f"{row['pid']} on {row['host']}, since {row['started_at']}); "
                        f"stop it first"
                    )
                conn.execute(
                    "UPDATE watchers SET stopped_at = ? WHERE id = ?", (now_iso(), row["id"])
                )  # it died without saying so
            cursor = conn.execute(
                "INSERT INTO watchers (dir, dataset, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (str(self.folder), self.dataset, socket.gethostname(), os.getpid(), now_iso(), time.time()),
            )
            self._watcher_id = cursor.lastrowid
            events.record(
                conn, "watch.start", f"watching {self.folder} for {self.dataset}", subject=self.dataset
            )

    def _heartbeat(self) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute("UPDATE watchers SET heartbeat_at = ? WHERE id = ?", (time.time(), self._watcher_id))

    def _unregister(self) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute("UPDATE watchers SET stopped_at = ? WHERE id = ?", (now_iso(), self._watcher_id))
            events.record(conn, "watch.stop", f"stopped watching {self.folder}", subject=self.dataset)


def _running(row: sqlite3.Row) -> bool:
    """Whether the watcher of a `watchers` row still runs: on this machine its process tells
    (and must have started before the row, or the pid was reused); elsewhere, its heartbeat."""
    if row["stopped_at"] is not None:
        return False
    if row["host"] != socket.gethostname():
        return row["heartbeat_at"] > time.time() - STALE_S
    started = _process_start(row["pid"])
    if started is None:
        return False
    registered = datetime.fromisoformat(row["started_at"]).timestamp()
    return started <= registered + 1.0  # (clock ticks and a slow start)


def _process_start(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), None if there is none; where
    /proc cannot say, a live process is taken to be the one that registered."""
    if not runs.pid_alive(pid):
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
    except (OSError, StopIteration, ValueError):
        return 0.0
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
