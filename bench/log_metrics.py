"""Metric logging throughput of the Python API (flush included) vs a bare executemany, and MLflow.

    python bench/log_metrics.py [--n 200000] [--repeat 3] [--quick]
                                [--mlflow-python /tmp/mlflow-venv/bin/python]

wb: `run.log_metric(key, value, step=i)` N times over four keys inside
`with workbench.start_run(workspace=DIR) as run:`, timed from the first call to the end of the
`with` block, so the final flush (and the ending of the run) is included; `start_run` itself is
timed apart, for information. Baseline: the same N rows, built beforehand, written with one
`executemany` of `INSERT INTO metrics (run_id, key, step, value, timestamp)` in one transaction,
on a connection from `workbench.core.storage.db.connect` (so the same pragmas: WAL, synchronous=NORMAL,
foreign keys) into the same table of another fresh workspace. Each round uses fresh workspaces;
the two alternate their order; best of N rounds. Target: wb / executemany <= 1.5.

With `--mlflow-python`, MLflow (in its own virtualenv, a worker subprocess, SQLite tracking
store, fresh per round) is timed in the same rounds: per-call `mlflow.log_metric` (a smaller
count, --mlflow-calls, converted to calls/s) and `MlflowClient().log_batch` of `Metric` objects
in batches of 1,000 (--mlflow-batch-metrics; building the Metric objects is left out of the
time). Targets: wb calls/s >= 100x MLflow per-call and >= 20x MLflow log_batch.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import _mlflow
from _common import parser, scratch, table

TARGET_VS_EXECUTEMANY = 1.5
TARGET_VS_MLFLOW_CALL = 100.0
TARGET_VS_MLFLOW_BATCH = 20.0
KEYS = ("loss", "accuracy", "learning_rate", "grad_norm")

HANDLERS = """
KEYS = ("loss", "accuracy", "learning_rate", "grad_norm")


def per_call(request, client, exp):
    n = request["n"]
    with mlflow.start_run():
        start = time.perf_counter()
        for i in range(n):
            mlflow.log_metric(KEYS[i % 4], 1.0 / (i + 1), step=i)
        seconds = time.perf_counter() - start
    return {"seconds": seconds}


def log_batch(request, client, exp):
    n, size = request["n"], request["batch"]
    run_id = client.create_run(exp).info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric(KEYS[i % 4], 1.0 / (i + 1), now, i) for i in range(n)]
    start = time.perf_counter()
    for j in range(0, n, size):
        client.log_batch(run_id, metrics=metrics[j:j + size])
    seconds = time.perf_counter() - start
    client.set_terminated(run_id)
    return {"seconds": seconds}


HANDLERS = {"per_call": per_call, "log_batch": log_batch}
"""


def fresh_workspace(folder: Path):
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(folder)
    return ws


def time_wb(folder: Path, values: list[float]) -> dict[str, float]:
    import workbench

    fresh_workspace(folder).close()
    t0 = time.perf_counter()
    with workbench.start_run(workspace=folder) as run:
        t1 = time.perf_counter()
        log = run.log_metric
        for i, value in enumerate(values):
            log(KEYS[i & 3], value, step=i)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    return {"start_run": t1 - t0, "calls": t2 - t1, "exit": t3 - t2, "total": t3 - t1}


def time_executemany(folder: Path, values: list[float]) -> float:
    from workbench.core.experiments import runs
    from workbench.core.storage import db

    ws = fresh_workspace(folder)
    run_id = runs.create(
        ws, experiment=None, kind="script", command=["bench"], cwd=folder, capture_environment=False
    )
    ws.close()
    now = time.time()
    rows = [(run_id, KEYS[i & 3], i, value, now + i * 1e-6) for i, value in enumerate(values)]
    conn = db.connect(ws.db_path, ws.wb_dir / "migrate.lock")
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?, ?, ?, ?, ?)", rows
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        count = conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
        assert count == len(rows), count
    finally:
        conn.close()
    return elapsed


def check_wb_rows(folder: Path, n: int) -> None:
    from workbench.core.storage.workspace import Workspace

    ws = Workspace.find(folder)
    count = ws.conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    ws.close()
    if count != n:
        raise SystemExit(f"wb wrote {count} metric rows, expected {n}")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200_000, help="log_metric calls per round (200000)")
    p.add_argument("--repeat", type=int, default=3, help="rounds (3); best of them")
    p.add_argument(
        "--mlflow-calls", type=int, default=2_000, help="per-call mlflow.log_metric calls per round (2000)"
    )
    p.add_argument(
        "--mlflow-batch-metrics",
        type=int,
        default=50_000,
        help="metrics sent with MlflowClient.log_batch per round (50000)",
    )
    p.add_argument("--mlflow-batch-size", type=int, default=1_000)
    p.add_argument(
        "--quick",
        action="store_true",
        help="a fast run: n=20000, 2 rounds, 300 MLflow calls, 5000 batched metrics",
    )
    _mlflow.add_argument(p)
    args = p.parse_args()
    if args.quick:
        args.n, args.repeat = 20_000, 2
        args.mlflow_calls, args.mlflow_batch_metrics = 300, 5_000
    os.environ.pop("WB_RUN_ID", None)
    os.environ.pop("WB_WORKSPACE", None)
    rng = random.Random(0)
    values = [rng.random() for _ in range(args.n)]

    with scratch(args.dir, args.keep) as tmp:
        os.chdir(tmp)  # start_run records the cwd's git state; keep it out of this repo
        worker = None
        if args.mlflow_python:
            worker = _mlflow.MlflowWorker(args.mlflow_python, HANDLERS, tmp / "mlflow", cwd=tmp)
            print(f"MLflow {worker.version} from {args.mlflow_python}")
        else:
            print(_mlflow.skipped_note())
        print(f"{args.n} log_metric calls per round, {args.repeat} rounds, interleaved", flush=True)
        wb_times: list[dict[str, float]] = []
        base_times: list[float] = []
        ml_call: list[float] = []
        ml_batch: list[float] = []
        try:
            for rep in range(args.repeat):
                steps = ["wb", "executemany"]
                if worker:
                    steps += ["mlflow per call", "mlflow log_batch"]
                if rep % 2:
                    steps.reverse()
                for step in steps:
                    if step == "wb":
                        folder = tmp / f"wb-{rep}"
                        wb_times.append(time_wb(folder, values))
                        check_wb_rows(folder, args.n)
                    elif step == "executemany":
                        base_times.append(time_executemany(tmp / f"sql-{rep}", values))
                    elif step == "mlflow per call":
                        assert worker
                        ml_call.append(worker.ask(op="per_call", n=args.mlflow_calls)["seconds"])
                    else:
                        assert worker
                        ml_batch.append(
                            worker.ask(
                                op="log_batch", n=args.mlflow_batch_metrics, batch=args.mlflow_batch_size
                            )["seconds"]
                        )
                print(
                    f"  round {rep + 1}: wb {wb_times[-1]['total']:.3f}s, "
                    f"executemany {base_times[-1]:.3f}s"
                    + (
                        f", mlflow per call {ml_call[-1]:.2f}s, log_batch {ml_batch[-1]:.2f}s"
                        if worker
                        else ""
                    ),
                    flush=True,
                )
        finally:
            if worker:
                worker.close()

    best_wb = min(wb_times, key=lambda t: t["total"])
    wb_s, base_s = best_wb["total"], min(base_times)
    wb_rate = args.n / wb_s
    rows = [
        ("wb log_metric + flush", args.n, f"{wb_s:.3f}", f"{wb_rate:,.0f}", "1"),
        ("  of which the calls", args.n, f"{best_wb['calls']:.3f}", "", ""),
        ("  of which the exit (last flush, end)", "", f"{best_wb['exit']:.3f}", "", ""),
        (
            "executemany (baseline)",
            args.n,
            f"{base_s:.3f}",
            f"{args.n / base_s:,.0f}",
            f"{wb_rate / (args.n / base_s):.2f}",
        ),
    ]
    ratio_call = ratio_batch = None
    if worker:
        call_rate = args.mlflow_calls / min(ml_call)
        batch_rate = args.mlflow_batch_metrics / min(ml_batch)
        ratio_call, ratio_batch = wb_rate / call_rate, wb_rate / batch_rate
        rows += [
            (
                "mlflow.log_metric per call",
                args.mlflow_calls,
                f"{min(ml_call):.3f}",
                f"{call_rate:,.0f}",
                f"{ratio_call:.0f}",
            ),
            (
                f"MlflowClient.log_batch ({args.mlflow_batch_size}/batch)",
                args.mlflow_batch_metrics,
                f"{min(ml_batch):.3f}",
                f"{batch_rate:,.0f}",
                f"{ratio_batch:.1f}",
            ),
        ]
    print()
    print(table(["what (best of rounds)", "metrics", "seconds", "metrics/s", "wb metrics/s / this"], rows))
    print(
        f"\nstart_run (not in the times above; environment capture, run row): "
        f"{min(t['start_run'] for t in wb_times):.3f}s best"
    )
    ratio = wb_s / base_s
    ok = ratio <= TARGET_VS_EXECUTEMANY
    line = f"RESULT ratio={ratio:.2f} target<={TARGET_VS_EXECUTEMANY:g}"
    if ratio_call is not None and ratio_batch is not None:
        ok = ok and ratio_call >= TARGET_VS_MLFLOW_CALL and ratio_batch >= TARGET_VS_MLFLOW_BATCH
        line += (
            f" vs_mlflow_per_call={ratio_call:.0f}x target>={TARGET_VS_MLFLOW_CALL:g}x"
            f" vs_mlflow_log_batch={ratio_batch:.1f}x target>={TARGET_VS_MLFLOW_BATCH:g}x"
        )
    else:
        line += " mlflow=skipped"
    print(f"{line} {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
