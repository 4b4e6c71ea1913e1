"""`wb watch DIR --dataset NAME`: every data drop that lands in DIR is versioned, validated
against the dataset's contract and drift-checked, with the results in the audit log and alerts.

A file is taken once it is complete: its size and mtime have held still for SETTLE_S, counted
from its last write (so a file written elsewhere and renamed into place is taken at once).
Hidden and temp files are ignored. A file whose bytes were
already taken for this dataset is skipped, so restarts and copies do nothing twice; files that
arrived while the watcher was down are taken at start. A bad file raises an alert and the
watcher goes on. A stop request (SIGINT, SIGTERM, `stop()`) takes effect between files.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import alerts, datasets, drift, events, hashing, registry, retraining
from .db import transaction
from .errors import InvalidInput, WbError
from .names import check_name, plural
from .timeutil import now_iso
from .workspace import Workspace

SETTLE_S = 0.5
POLL_MS = 250
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp")


@dataclass
class Outcome:
    path: str
    status: str  # "added", "unchanged", "skipped", "failed"
    detail: str
    version: str | None = None
    dataset_drift: bool | None = None


def _scorer(found: list[retraining.Champion],
            version: datasets.DatasetVersion) -> tuple[str | None, str | None]:
    """The production model that scores a drop in its drift check (with `--retrain`), and its
    target when the drop has it (labels: so degraded performance is seen, and retrains)."""
    if not found:
        return None, None
    columns = {c["name"] for c in version.profile["columns"]}
    return (f"{found[0].model}@{registry.PRODUCTION}",
            found[0].target if found[0].target in columns else None)


def is_candidate(path: Path) -> bool:
    name = path.name
    return not name.startswith((".", "~")) and not name.endswith(IGNORED_SUFFIXES)


class Watcher:
    def __init__(self, ws: Workspace, folder: Path, dataset: str, reference: str | None = None,
                 on_outcome: Callable[[Outcome], None] | None = None, retrain: bool = False):
        check_name(dataset, "dataset")
        if not folder.is_dir():
            raise InvalidInput(f"{folder} is not a folder")
        if reference is not None:
            datasets.resolve(ws, reference)  # a bad reference is an error now, not per file
        self.ws, self.folder, self.dataset, self.reference = ws, folder.resolve(), dataset, reference
        self.on_outcome = on_outcome or (lambda outcome: None)
        self.retrain = retrain  # judge and retrain the production models (retraining.py)
        self.stop_event = threading.Event()
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, since)
        self._watcher_id: int | None = None

    def stop(self) -> None:
        self.stop_event.set()

    # -- running ----------------------------------------------------------------------------
    def run(self, once: bool = False) -> list[Outcome]:
        """Take what is there; then (unless `once`) watch until stopped."""
        self._register()
        try:
            if once:
                self._scan()
                return self._take_settled(wait=True)
            return self._watch()
        finally:
            self._unregister()

    def _scan(self) -> None:
        for path in self.folder.iterdir():
            if path.is_file() and is_candidate(path):
                self._note(path)

    def _watch(self) -> list[Outcome]:
        import watchfiles

        outcomes: list[Outcome] = []
        scanned = False
        for changes in watchfiles.watch(self.folder, debounce=100, step=50, rust_timeout=POLL_MS,
                                        yield_on_timeout=True, stop_event=self.stop_event,
                                        raise_interrupt=False, recursive=False):
            if not scanned:
                # Only now is the watch live: a file landing before this scan is found by it,
                # one landing after raises an event; none slips between the two.
                self._scan()
                scanned = True
            for change, name in changes:
                path = Path(name)
                if change != watchfiles.Change.deleted and path.is_file() and is_candidate(path):
                    self._note(path)
            outcomes += self._take_settled(wait=False)
            self._heartbeat()
            if self.stop_event.is_set():
                break
        return outcomes

    def _note(self, path: Path) -> None:
        try:
            st = path.stat()
        except FileNotFoundError:
            self._seen.pop(path, None)
            return
        known = self._seen.get(path)
        if known is None or known[:2] != (st.st_size, st.st_mtime_ns):
            # The clock starts at the file's last write: a file renamed into place after it was
            # written has already held still that long, and is taken at the next look.
            still = min(max(time.time() - st.st_mtime_ns / 1e9, 0.0), SETTLE_S)
            self._seen[path] = (st.st_size, st.st_mtime_ns, time.monotonic() - still)

    def _take_settled(self, wait: bool) -> list[Outcome]:
        """Process the noted files that have held still for SETTLE_S; with `wait`, wait until
        every noted file has (or is gone)."""
        outcomes = []
        while self._seen and not self.stop_event.is_set():
            for path in list(self._seen):
                self._note(path)  # re-stat: a growing file restarts its clock
            now = time.monotonic()
            ready = sorted(p for p, (_, _, since) in self._seen.items() if now - since >= SETTLE_S)
            for path in ready:
                if self.stop_event.is_set():
                    break
                del self._seen[path]
                outcome = self.process(path)
                outcomes.append(outcome)
                self.on_outcome(outcome)
            if not wait:
                break
            if self._seen:
                self.stop_event.wait(0.05)  # wait for the files still settling to hold still
        return outcomes

    # -- one file ---------------------------------------------------------------------------
    def process(self, path: Path) -> Outcome:
        """Version, validate and drift-check one file; never raises for a bad file."""
        try:
            digest = hashing.hash_file(path)
        except OSError as exc:
            return self._failed(path, f"cannot read it: {exc.strerror}")
        if self.ws.conn.execute("SELECT 1 FROM watch_files WHERE dataset = ? AND hash = ?",
                                (self.dataset, digest)).fetchone():
            return Outcome(str(path), "skipped", "these bytes were taken before")
        previous = self._latest_ref()
        try:
            result = datasets.add(self.ws, path, self.dataset, f"from wb watch: {path.name}",
                                  once=True)  # another watcher may take it meanwhile
        except WbError as exc:
            return self._failed(path, str(exc), digest)
        version = result.version
        if result.unchanged:
            self._remember(digest, path, "unchanged")
            return Outcome(str(path), "unchanged", f"same bytes as {version.ref}",
                           version.ref)
        notes = []
        if result.violations:
            notes.append(plural(len(result.violations), "contract violation"))
            with transaction(self.ws.conn) as conn:
                alerts.raise_alert(conn, "contract",
                                   f"{version.ref} from {path.name} breaks its contract: "
                                   + "; ".join(f"{v.column}: {v.detail}"
                                               for v in result.violations[:3]),
                                   subject=version.ref)
        reference = self.reference or previous
        dataset_drift = degraded = None
        if reference is not None:
            found = retraining.champions(self.ws, self.dataset) if self.retrain else []
            model, target = _scorer(found, version)
            report = drift.check(self.ws, reference, version.ref, model=model, target=target)
            dataset_drift = report["dataset_drift"]
            degraded = (report.get("performance") or {}).get("degraded")
            drifted = [f["name"] for f in report["features"] if f["drifted"]]
            notes.append(f"{'dataset drift' if dataset_drift else 'no dataset drift'} against "
                         f"{reference}" + (f" ({', '.join(drifted)})" if drifted else "")
                         + (f"; {model} degraded" if degraded else ""))
            if self.retrain:
                notes += retraining.after_drop(self.ws, version, found,
                                               needs_retraining=bool(dataset_drift or degraded))
        self._remember(digest, path, "added")
        return Outcome(str(path), "added", "; ".join(notes), version.ref, dataset_drift)

    def _latest_ref(self) -> str | None:
        try:
            return datasets.resolve(self.ws, self.dataset).ref
        except WbError:
            return None

    def _failed(self, path: Path, reason: str, digest: str | None = None) -> Outcome:
        with transaction(self.ws.conn) as conn:
            alerts.raise_alert(conn, "bad_file", f"wb watch could not take {path}: {reason}",
                               subject=self.dataset)
        if digest:
            self._remember(digest, path, "failed")  # the same bad bytes are not retried
        return Outcome(str(path), "failed", reason)

    def _remember(self, digest: str, path: Path, outcome: str) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute("INSERT OR REPLACE INTO watch_files (dataset, hash, path, size, "
                         "processed_at, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                         (self.dataset, digest, str(path), path.stat().st_size, now_iso(),
                          outcome))

    # -- being seen running -----------------------------------------------------------------
    def _register(self) -> None:
        with transaction(self.ws.conn) as conn:
            cursor = conn.execute(
                "INSERT INTO watchers (dir, dataset, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (str(self.folder), self.dataset,
                                              socket.gethostname(), os.getpid(), now_iso(),
                                              time.time()))
            self._watcher_id = cursor.lastrowid
            events.record(conn, "watch.start", f"watching {self.folder} for {self.dataset}",
                          subject=self.dataset)

    def _heartbeat(self) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute("UPDATE watchers SET heartbeat_at = ? WHERE id = ?",
                         (time.time(), self._watcher_id))

    def _unregister(self) -> None:
        with transaction(self.ws.conn) as conn:
            conn.execute("UPDATE watchers SET stopped_at = ? WHERE id = ?",
                         (now_iso(), self._watcher_id))
            events.record(conn, "watch.stop", f"stopped watching {self.folder}",
                          subject=self.dataset)
