"""The tracking client: a run's params, metrics, tags, inputs and artifacts, logged from the
training process itself.

Writes are buffered in memory and flushed in one transaction (executemany) when the buffer is
large, every FLUSH_INTERVAL_S on a background thread, when the run ends and at interpreter exit;
so a training loop can log every step without waiting on SQLite. The same thread keeps the
run's heartbeat, by which a run whose process died unannounced is later marked `lost`.
"""

from __future__ import annotations

import atexit

# A run still open at exit is ended by an atexit hook, which writes its metric history with
# polars; importing polars then needs this module's own atexit hook registered already.
import concurrent.futures.thread  # noqa: F401
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, WbError
from ..storage.db import transaction
from ..storage.workspace import Workspace
from . import runs as runs_mod
from .executor import ENV_RUN_ID

if TYPE_CHECKING:
    from ..data.datasets import DatasetVersion

FLUSH_INTERVAL_S = 1.0
FLUSH_ROWS = 10_000

_open_runs: weakref.WeakSet[Run] = weakref.WeakSet()


class _Flusher:
    """One thread per process flushes every open run on a timer and beats their hearts, on
    one connection per workspace database, under one lock that every write takes."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._connections: dict[Path, sqlite3.Connection] = {}
        self._thread: threading.Thread | None = None

    def connection(self, ws: Workspace) -> sqlite3.Connection:
        """The shared connection to `ws`'s database; call with `lock` held."""
        conn = self._connections.get(ws.db_path)
        if conn is None:
            conn = self._connections[ws.db_path] = ws.connect()
        return conn

    def start(self) -> None:
        with self.lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="wb-flush", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        beat = 0.0
        while True:
            time.sleep(FLUSH_INTERVAL_S)  # a timer, not a wait for a condition
            due = time.monotonic() - beat >= runs_mod.HEARTBEAT_INTERVAL_S
            for run in list(_open_runs):
                try:
                    run.flush(heartbeat=due)
                except (sqlite3.Error, WbError):
                    pass  # kept in the buffer: the next tick retries, ending the run says why
            if due:
                beat = time.monotonic()


_FLUSHER = _Flusher()
_workspaces: dict[Path, Workspace] = {}


class Run:
    """A run being logged to. Use as a context manager, or call `end()`."""

    def __init__(self, ws: Workspace, run_id: str, *, owned: bool):
        self.ws = ws
        self.id = run_id
        self.owned = owned  # False when attached to a run that `wb run` made and will end
        self.name = runs_mod.name_of(ws.conn, run_id)
        self._lock = threading.Lock()
        self._metrics: list[tuple[str, str, int, float, float]] = []  # run, key, step, value, time
        self._latest: dict[str, tuple[int, float | None]] = {}
        self._params: dict[str, Any] = {}
        self._tags: dict[str, str] = {}
        self._steps: dict[str, int] = {}
        self._ended = False
        _open_runs.add(self)
        _FLUSHER.start()

    # -- logging ----------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        with self._lock:
            self._params.update({runs_mod.check_key(k): v for k, v in params.items()})

    def set_tag(self, key: str, value: Any) -> None:
        with self._lock:
            self._tags[runs_mod.check_key(key)] = str(value)

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        key = runs_mod.check_key(key)
        value = _metric_value(key, value)
        now = time.time()
        with self._lock:
            if step is None:
                step = self._steps.get(key, 0)
            self._steps[key] = step + 1
            self._metrics.append((self.id, key, step, value, now))
            latest = self._latest.get(key)
            if latest is None or step >= latest[0]:
                self._latest[key] = (step, value)
            full = len(self._metrics) >= FLUSH_ROWS
        if full:
            self.flush()

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    def log_artifact(self, path: str | os.PathLike, name: str | None = None) -> str:
        """Store a file's bytes with the run under `name` (default: the file's name)."""
        return runs_mod.add_artifact(self.ws, self.id, Path(path), name or Path(path).name, "file")

    def log_model(
        self,
        model: Any,
        name: str = "model",
        meta: Mapping[str, Any] | None = None,
        *,
        input_example: Any = None,
        target: str | None = None,
    ) -> str:
        """Store a fitted model (a scikit-learn estimator or pipeline, LightGBM's included, or a
        LightGBM Booster) in a format that runs no code on load, with what scoring it needs:
        its input columns and their types (from `input_example`, a data frame of the columns
        it takes; else the dataset this run read with `use_dataset`; else the model's own
        `feature_names_in_`), its task and its `target` column (else the run's `target`
        param, else the one column of the run's dataset it does not take). `meta` is kept
        beside it and overrides what was found."""
        from ..models import model_io, scoring

        meta = dict(meta or {})
        found: dict[str, Any] = {}
        if "features" not in meta:  # (wb train hands its own recipe in)
            if target is None:
                target = self._param("target")
            try:
                described = scoring.describe(
                    model, input_example=input_example, dataset=self._only_input(), target=target
                )
            except InvalidInput:
                raise
            except Exception as exc:  # a model of a kind wb cannot look into is still kept
                described = {"unscorable": f"wb could not tell what it takes ({type(exc).__name__}: {exc})"}
            found = {k: v for k, v in described.items() if k not in meta}
        payload, format_meta = model_io.dump(model)
        return runs_mod.add_artifact_bytes(
            self.ws, self.id, payload, name, "model", {**format_meta, **found, **meta}
        )

    def _param(self, key: str) -> str | None:
        """A parameter logged so far (buffered or written), as text."""
        with self._lock:
            if key in self._params:
                return None if self._params[key] is None else str(self._params[key])
        value = runs_mod.get_param(self.ws.conn, self.id, key)
        return None if value is None else str(value)

    def _only_input(self) -> DatasetVersion | None:
        """The dataset version this run read, when it read exactly one."""
        from ..data import datasets

        inputs = runs_mod.get_inputs(self.ws.conn, self.id)
        if len(inputs) != 1:
            return None
        try:
            return datasets.resolve(self.ws, inputs[0].ref)
        except WbError:
            return None

    def use_dataset(self, ref: str) -> Any:
        """A dataset version as a polars DataFrame, recorded as an input of this run."""
        from ..data import datasets

        version = datasets.resolve(self.ws, ref)
        runs_mod.add_input(self.ws, self.id, version)
        return datasets.load(self.ws, version)

    # -- flushing and ending ----------------------------------------------------------------
    def flush(self, *, heartbeat: bool = False, finish: tuple[str, str | None] | None = None) -> None:
        """Write what is buffered in one transaction (with the heartbeat, or the run's end)."""
        with _FLUSHER.lock:
            with self._lock:
                metrics, self._metrics = self._metrics, []
                latest, self._latest = self._latest, {}
                params, self._params = self._params, {}
                tags, self._tags = self._tags, {}
            if not (metrics or params or tags or heartbeat or finish):
                return
            try:
                self._write(metrics, latest, params, tags, heartbeat=heartbeat, finish=finish)
            except BaseException:
                self._restore(metrics, latest, params, tags)  # a full disk loses nothing logged
                raise

    def _restore(
        self,
        metrics: list[tuple[str, str, int, float, float]],
        latest: dict[str, tuple[int, float | None]],
        params: dict[str, Any],
        tags: dict[str, str],
    ) -> None:
        """Put a batch that failed to write back in front of what was logged since."""
        with self._lock:
            self._metrics = metrics + self._metrics
            for key, (step, value) in latest.items():
                newer = self._latest.get(key)
                if newer is None or newer[0] < step:
                    self._latest[key] = (step, value)
            self._params = {**params, **self._params}
            self._tags = {**tags, **self._tags}

    def _write(
        self,
        metrics: list[tuple[str, str, int, float, float]],
        latest: dict[str, tuple[int, float | None]],
        params: dict[str, Any],
        tags: dict[str, str],
        *,
        heartbeat: bool,
        finish: tuple[str, str | None] | None,
    ) -> None:
        with transaction(_FLUSHER.connection(self.ws)) as conn:
            runs_mod.insert_metrics(conn, metrics)
            runs_mod.write_latest_metrics(conn, self.id, latest)
            runs_mod.write_params(conn, self.id, params)
            runs_mod.write_tags(conn, self.id, tags)
            if heartbeat:
                runs_mod.heartbeat(conn, self.id)
            if finish:
                runs_mod.finish(conn, self.id, finish[0], store=self.ws.store, error=finish[1])

    def end(self, status: str = "finished", error: str | None = None) -> None:
        if self._ended:
            return
        self.flush(finish=(status, error) if self.owned else None)  # raises: still open, kept
        self._ended = True
        _open_runs.discard(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.end("finished")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("killed", error="interrupted")
        else:
            self.end("failed", error=f"{exc_type.__name__}: {exc}")


def _metric_value(key: str, value: Any) -> float:
    """A metric as a float: NaN and infinities are kept, as MLflow keeps them."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"metric {key!r} must be a number, not {value!r}") from None


def start_run(
    experiment: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    workspace: str | os.PathLike | None = None,
) -> Run:
    """Start a run in the workspace found from here, or attach to the one `wb run` made."""
    found = Workspace.find(workspace)
    # One Workspace (and so one database connection) per folder for the process's runs.
    ws = _workspaces.setdefault(found.root, found)
    attached = os.environ.get(ENV_RUN_ID)
    if attached:
        if not runs_mod.exists(ws.conn, attached):
            raise WbError(f"{ENV_RUN_ID}={attached} names no run in {ws.root}")
        run = Run(ws, attached, owned=False)
    else:
        run_id = runs_mod.create(
            ws,
            experiment=experiment,
            kind="script",
            name=name,
            command=[sys.executable, *sys.argv],
            cwd=Path.cwd(),
        )
        run = Run(ws, run_id, owned=True)
    if params:
        run.log_params(params)
    for key, value in (tags or {}).items():
        run.set_tag(key, value)
    return run


def load_model(ref: str, *, workspace: str | os.PathLike | None = None) -> Any:
    """The registered model `ref` (`demand@production`, `demand@3`, `demand`), its bytes
    verified against their hash and loaded with wb's trusted types only: the fitted estimator,
    pipeline or booster itself, for a user's own code."""
    from ..models import model_io, registry

    found = Workspace.find(workspace)
    ws = _workspaces.setdefault(found.root, found)
    mv = registry.resolve(ws, ref)
    return model_io.load(ws.store.read_verified(mv.artifact_hash), mv.artifact_meta)


_crashed = False


def _note_crash(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    _previous: Callable[[type[BaseException], BaseException, TracebackType | None], Any] = sys.excepthook,
) -> None:
    global _crashed
    _crashed = True
    _previous(exc_type, exc, tb)


sys.excepthook = _note_crash


@atexit.register
def _end_open_runs() -> None:
    """Runs the script never ended: finished, unless the interpreter is exiting on an error."""
    for run in list(_open_runs):
        if _crashed:
            run.end("failed", error="the process exited with an unhandled exception")
        else:
            run.end("finished")
