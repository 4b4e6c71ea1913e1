"""Running the MLflow half of a comparison in MLflow's own virtualenv (not a benchmark itself).

MLflow is not a dependency of wb. A benchmark that compares against it takes
`--mlflow-python PATH` (an interpreter of a virtualenv with `pip install mlflow`), writes a
small worker script and keeps it running as a subprocess: the worker imports MLflow once, then
answers one JSON request per line on stdin with one JSON line on stdout, so that its rounds
can be interleaved with wb's. Each request gets a fresh SQLite tracking database (created and
migrated outside the timing), with artifacts in a folder beside it; the environment turns off
telemetry and anything else that would reach the network.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

# Environment of the worker: no telemetry, no async logging, nothing fetched.
ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
    "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING": "false",
    "MLFLOW_TRACKING_INSECURE_TLS": "false",
    "GIT_PYTHON_REFRESH": "quiet",
    "HTTP_PROXY": "http://127.0.0.1:9",  # anything that tries the network fails at once
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "PYTHONWARNINGS": "ignore",
}

# The worker: the preamble below, then a benchmark's own `handlers` (functions of a request
# and a fresh tracking URI returning seconds or a dict), then the loop.
PREAMBLE = '''\
import json, logging, os, sys, tempfile, time, warnings
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

ROOT = sys.argv[1]
_count = 0


def fresh_uri():
    """A new SQLite tracking store (migrated now, untimed) and an experiment in it."""
    global _count
    _count += 1
    folder = os.path.join(ROOT, f"mlflow-{_count}")
    os.makedirs(folder)
    uri = "sqlite:///" + os.path.join(folder, "mlflow.db")
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench", artifact_location="file://" + os.path.join(folder, "artifacts"))
    mlflow.set_experiment(experiment_id=exp)
    return uri, client, exp
'''

LOOP = """
print(json.dumps({"ready": True, "mlflow": mlflow.__version__}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    uri, client, exp = fresh_uri()
    answer = HANDLERS[request["op"]](request, client, exp)
    print(json.dumps(answer), flush=True)
"""


class MlflowWorker:
    """The worker subprocess; `ask(op=..., ...)` sends one request and returns its answer."""

    def __init__(self, python: Path, handlers: str, folder: Path, cwd: Path | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / "mlflow_worker.py"
        script.write_text(PREAMBLE + "\n" + handlers + "\n" + LOOP, encoding="utf-8")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "PYTHON", "VIRTUAL_ENV", "WB_"))
        }
        env |= ENV
        env["MLFLOW_TRACKING_URI"] = "sqlite:///" + str(folder / "unused.db")
        self.proc = subprocess.Popen(
            [str(python), str(script), str(folder)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        hello = self._read()
        self.version = hello["mlflow"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise SystemExit(f"the MLflow worker stopped:\n{err[-3000:]}")
        return json.loads(line)

    def ask(self, **request: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> MlflowWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def add_argument(p) -> None:  # type: ignore[no-untyped-def]
    p.add_argument(
        "--mlflow-python",
        type=Path,
        default=None,
        help="python of a virtualenv with mlflow installed, e.g. "
        "/tmp/mlflow-venv/bin/python (python -m venv /tmp/mlflow-venv && "
        "/tmp/mlflow-venv/bin/pip install mlflow); without it the MLflow part "
        "is skipped",
    )


def skipped_note() -> str:
    return (
        "MLflow part skipped: pass --mlflow-python PATH (a virtualenv with mlflow: "
        "python -m venv /tmp/mlflow-venv && /tmp/mlflow-venv/bin/pip install mlflow)"
    )
