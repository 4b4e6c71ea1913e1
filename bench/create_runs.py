"""Creating many small runs: wb's Python API vs MLflow's fluent API, measured in the same run.

    python bench/create_runs.py [--runs 200] [--repeat 3] [--quick]
                                [--mlflow-python /tmp/mlflow-venv/bin/python]

Each of N runs gets 10 params and 5 metrics. wb: `with workbench.start_run(workspace=DIR,
params=...) as run: run.log_metrics(...)` (so the run is created, its environment captured,
its values flushed and the run ended). MLflow (with --mlflow-python: its own virtualenv, a
worker subprocess, a SQLite tracking store): `with mlflow.start_run(): mlflow.log_params(...);
mlflow.log_metrics(...)`. Both run with their current folder in a small git repository made for
the benchmark (a user's project usually is one; both record its commit), each round in a fresh
workspace or tracking store, the two alternating, best of N rounds. Target: wb at least 20x
faster than MLflow. Without --mlflow-python only wb is timed and the result is its runs/s.

Afterwards one more wb round runs with wb's own functions wrapped in timers, to show where a
run's time goes (environment capture: the git subprocesses and the listing of installed
packages; storing the environment artifacts; the run row; the tracking client; the end).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import _mlflow
from _common import parser, run_quiet, scratch, table
from _timers import Timers

TARGET = 20.0

HANDLERS = """
def create_runs(request, client, exp):
    start = time.perf_counter()
    for params, metrics in request["runs"]:
        with mlflow.start_run():
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    seconds = time.perf_counter() - start
    assert len(client.search_runs([exp], max_results=50000)) == len(request["runs"])
    return {"seconds": seconds}


HANDLERS = {"create_runs": create_runs}
"""


def make_specs(n: int) -> list[tuple[dict[str, Any], dict[str, float]]]:
    rng = random.Random(0)
    specs = []
    for _ in range(n):
        params: dict[str, Any] = {
            "learning_rate": rng.choice([0.01, 0.05, 0.1]),
            "num_leaves": rng.choice([15, 31, 63]),
            "max_depth": rng.randint(3, 12),
            "min_child_samples": rng.randint(5, 50),
            "subsample": round(rng.random(), 3),
            "colsample_bytree": round(rng.random(), 3),
            "reg_alpha": round(rng.random(), 4),
            "reg_lambda": round(rng.random(), 4),
            "objective": "regression",
            "boosting": rng.choice(["gbdt", "dart"]),
        }
        metrics = {
            "rmse": rng.random() * 10,
            "mae": rng.random() * 5,
            "r2": rng.random(),
            "wape": rng.random(),
            "train_seconds": rng.random() * 60,
        }
        specs.append((params, metrics))
    return specs


def make_git_repo(path: Path) -> None:
    path.mkdir()
    (path / "train.py").write_text("print('hello')\n", encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    run_quiet(["git", "init", "-q"], cwd=path, env=env)
    run_quiet(["git", "add", "train.py"], cwd=path, env=env)
    run_quiet(["git", "commit", "-q", "-m", "init"], cwd=path, env=env)


def time_wb(folder: Path, specs) -> float:
    import workbench
    from workbench.core.storage.workspace import Workspace

    Workspace.init(folder)[0].close()
    start = time.perf_counter()
    for params, metrics in specs:
        with workbench.start_run(workspace=folder, params=params) as run:
            run.log_metrics(metrics)
    elapsed = time.perf_counter() - start
    ws = Workspace.find(folder)
    got = ws.conn.execute("SELECT COUNT(*), SUM(status = 'finished') FROM runs").fetchone()
    n_params = ws.conn.execute("SELECT COUNT(*) FROM params").fetchone()[0]
    n_metrics = ws.conn.execute("SELECT COUNT(*) FROM latest_metrics").fetchone()[0]
    ws.close()
    if tuple(got) != (len(specs), len(specs)) or n_params != 10 * len(specs) or n_metrics != 5 * len(specs):
        raise SystemExit(f"wb recorded {tuple(got)} runs, {n_params} params, {n_metrics} metrics")
    return elapsed


def breakdown(folder: Path, specs) -> tuple[float, Timers]:
    """One wb round with its pieces wrapped in timers."""
    import workbench
    from workbench.core.experiments import environment, runs, tracking
    from workbench.core.storage import db
    from workbench.core.storage.workspace import Workspace

    Workspace.init(folder)[0].close()
    with Timers() as timers:
        timers.wrap(Workspace, "find", "Workspace.find")
        timers.wrap(runs, "create", "runs.create (all of it)")
        timers.wrap(environment, "capture", "  environment.capture")
        timers.wrap(environment, "_git", "    git rev-parse + git diff (2 subprocesses)")
        timers.wrap(environment, "installed_packages", "    installed_packages (importlib.metadata)")
        timers.wrap(
            runs, "add_artifact_bytes", "  add_artifact_bytes (packages.txt: temp file, fsync, dedup)"
        )
        timers.wrap(tracking.Run, "__init__", "Run() (connection, flush thread)")
        timers.wrap(db, "connect", "  db.connect (any caller)")
        timers.wrap(tracking.Run, "end", "Run.end (join thread, flush, finish)")
        timers.wrap(tracking.Run, "flush", "  Run.flush")
        start = time.perf_counter()
        for params, metrics in specs:
            with workbench.start_run(workspace=folder, params=params) as run:
                run.log_metrics(metrics)
        total = time.perf_counter() - start
    return total, timers


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200, help="runs created per round (200)")
    p.add_argument("--repeat", type=int, default=3, help="rounds (3); best of them")
    p.add_argument("--quick", action="store_true", help="a fast run: 40 runs, 2 rounds")
    p.add_argument("--no-breakdown", action="store_true", help="skip the per-piece round")
    _mlflow.add_argument(p)
    args = p.parse_args()
    if args.quick:
        args.runs, args.repeat = 40, 2
    os.environ.pop("WB_RUN_ID", None)
    os.environ.pop("WB_WORKSPACE", None)
    specs = make_specs(args.runs)

    with scratch(args.dir, args.keep) as tmp:
        project = tmp / "project"
        make_git_repo(project)
        os.chdir(project)  # both record the git state of the folder they run in
        worker = None
        if args.mlflow_python:
            worker = _mlflow.MlflowWorker(args.mlflow_python, HANDLERS, tmp / "mlflow", cwd=project)
            print(f"MLflow {worker.version} from {args.mlflow_python}")
        else:
            print(_mlflow.skipped_note())
        print(f"{args.runs} runs (10 params, 5 metrics each) per round, {args.repeat} rounds", flush=True)
        wb_times: list[float] = []
        ml_times: list[float] = []
        try:
            for rep in range(args.repeat):
                order = ["wb", "mlflow"] if worker else ["wb"]
                if rep % 2:
                    order.reverse()
                for who in order:
                    if who == "wb":
                        wb_times.append(time_wb(tmp / f"ws-{rep}", specs))
                    else:
                        assert worker
                        ml_times.append(worker.ask(op="create_runs", runs=specs)["seconds"])
                print(
                    f"  round {rep + 1}: wb {wb_times[-1]:.2f}s"
                    + (f", mlflow {ml_times[-1]:.2f}s" if worker else ""),
                    flush=True,
                )
        finally:
            if worker:
                worker.close()
        pieces = None if args.no_breakdown else breakdown(tmp / "ws-breakdown", specs)

    wb_s = min(wb_times)
    rows = [("wb", f"{wb_s:.3f}", f"{wb_s / args.runs * 1000:.1f}", f"{args.runs / wb_s:.1f}")]
    if worker:
        ml_s = min(ml_times)
        rows.append(("mlflow", f"{ml_s:.3f}", f"{ml_s / args.runs * 1000:.1f}", f"{args.runs / ml_s:.1f}"))
    print()
    print(table(["best of rounds", "seconds", "ms per run", "runs/s"], rows))
    if pieces:
        total, spent = pieces
        print(
            f"\nwb per-run breakdown (one more round with timers; {total:.2f}s in all, "
            f"{total / args.runs * 1000:.1f} ms per run):"
        )
        print(
            table(
                ["piece (nested pieces indented)", "calls", "ms per run", "share"],
                spent.rows(total, per=args.runs),
            )
        )
    print()
    if not worker:
        print(f"RESULT runs_per_s={args.runs / wb_s:.1f} mlflow=skipped (no ratio)")
        return 0
    ratio = min(ml_times) / wb_s
    ok = ratio >= TARGET
    print(
        f"RESULT ratio={ratio:.2f} target>={TARGET:g} (mlflow seconds / wb seconds; "
        f"wb {wb_s / args.runs * 1000:.1f} ms/run, mlflow "
        f"{min(ml_times) / args.runs * 1000:.1f} ms/run) {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
