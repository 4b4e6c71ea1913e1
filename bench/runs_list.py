"""`wb runs list` on a workspace of 100,000 runs vs a bare SELECT of the newest 50 ids.

    python bench/runs_list.py [--runs 100000] [--repeat 5] [--quick] [--analyze]

The workspace is made with `Workspace.init` (so the real schema and indexes) and filled with
direct SQL (executemany in big transactions): N finished runs in 10 experiments, each with 10
params (p0..p9; p0..p7 numbers, p8 a bool, p9 text), 5 metrics (m0..m4, uniform in [0, 1]) in
`latest_metrics` and one step each in `metrics` (no ANALYZE, as wb runs none; `--analyze` adds
it). Then, interleaved, median of N after one untimed warm-up:
`workbench.core.experiments.runs.list_runs(ws, ...)` for the query of the target,
`where="params.p1 > 0.5 and metrics.m1 < 0.3", sort="metrics.m2", limit=50`, and some other
typical ones (no filter; sort by -metrics.m0; an experiment; a filter alone; a param sort),
against the baseline `SELECT id FROM runs ORDER BY created_at DESC LIMIT 50` on the same
connection. The CLI `wb runs list --where ... --sort ... --json` runs as a subprocess too
(start-up included, median of 3), and `list_runs(ws, limit=None)`, which `wb train` calls after
training to find its new runs, once. Every query's plan (EXPLAIN QUERY PLAN of the SQL list_runs
sent) is printed, and, for information, two rewrites of the target query: with its filters as
IN (SELECT run_id ...) on the (key, value) indexes, and walking the sort key's (key, value)
index in order. Target: the target query under 0.5 s.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import med, parser, scratch, table, wb_command

TARGET_SECONDS = 0.5
WHERE = "params.p1 > 0.5 and metrics.m1 < 0.3"
SORT = "metrics.m2"
EXPERIMENTS = 10

QUERIES: dict[str, dict] = {
    "where + sort (target)": {"where": WHERE, "sort": SORT},
    "no filter (newest first)": {},
    "sort -metrics.m0": {"sort": "-metrics.m0"},
    "experiment exp-3": {"experiment": "exp-3"},
    "experiment exp-3, sort metrics.m0": {"experiment": "exp-3", "sort": "metrics.m0"},
    "where params.p1 > 0.5 (no sort)": {"where": "params.p1 > 0.5"},
    "where metrics.m1 < 0.001": {"where": "metrics.m1 < 0.001"},
    "sort params.p2": {"sort": "params.p2"},
}
BASELINE_SQL = "SELECT id FROM runs ORDER BY created_at DESC LIMIT 50"

# Two rewrites of the target query, timed for information (same runs, same order; the first
# 50 runs all have the sort metric here, so "missing values last" needs no second part):
_SELECT = """
SELECT runs.id, runs.name, experiments.name AS experiment, runs.status, runs.kind, runs.model,
       runs.started_at, runs.ended_at, runs.duration_s
"""
REWRITES: dict[str, tuple[str, tuple]] = {
    # the filters as IN (SELECT run_id ...) on the (key, num) and (key, value) indexes, the sort
    # key joined once instead of two correlated subqueries per run
    "rewrite: IN filters + joined sort key (info)": (
        _SELECT
        + """
        FROM runs JOIN experiments ON experiments.id = runs.experiment_id
        LEFT JOIN latest_metrics s ON s.run_id = runs.id AND s.key = ?
        WHERE runs.id IN (SELECT run_id FROM params WHERE key = ? AND num > ?)
          AND runs.id IN (SELECT run_id FROM latest_metrics WHERE key = ? AND value < ?)
        ORDER BY s.value IS NULL, s.value ASC, runs.created_at DESC LIMIT 50""",
        ("m2", "p1", 0.5, "m1", 0.3),
    ),
    # walk the sort metric's (key, value) index in order, test the filters per run, stop at 50
    # (CROSS JOIN fixes the join order); runs without the metric would follow in a UNION ALL
    "rewrite: walk latest_metrics(key, value) (info)": (
        _SELECT
        + """
        FROM latest_metrics s CROSS JOIN runs ON runs.id = s.run_id
        JOIN experiments ON experiments.id = runs.experiment_id
        WHERE s.key = ?
          AND EXISTS (SELECT 1 FROM params p WHERE p.run_id = runs.id AND p.key = ? AND p.num > ?)
          AND EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = runs.id AND m.key = ?
                      AND m.value < ?)
        ORDER BY s.value ASC, runs.created_at DESC LIMIT 50""",
        ("m2", "p1", 0.5, "m1", 0.3),
    ),
}


def generate(folder: Path, n: int, analyze: bool = False) -> Path:
    """A workspace of n runs, filled with direct SQL; returns its root."""
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(folder)
    db_path = ws.db_path
    ws.close()
    rng = random.Random(0)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # generating only; the timed part uses wb's
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO experiments (id, name, created_at) VALUES (?, ?, ?)",
        [(i + 1, f"exp-{i}", t0.isoformat()) for i in range(EXPERIMENTS)],
    )
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(n)]
    runs, params, latest, history = [], [], [], []
    env = json.dumps(
        {"python": "3.11.7", "platform": "Linux", "host": "bench", "git_commit": "0" * 40, "git_dirty": False}
    )
    for i, run_id in enumerate(ids):
        started = t0 + timedelta(seconds=37 * i)
        duration = 5 + rng.random() * 100
        runs.append(
            (
                run_id,
                f"run-{i}",
                1 + i % EXPERIMENTS,
                "finished",
                "train",
                "lightgbm",
                json.dumps(["wb", "train"]),
                "/bench",
                "bench",
                1000 + i,
                0,
                env,
                started.isoformat(),
                started.isoformat(),
                (started + timedelta(seconds=duration)).isoformat(),
                duration,
                started.timestamp() + duration,
            )
        )
        values = [
            rng.choice([15, 31, 63]),
            rng.random(),
            rng.random(),
            rng.randint(1, 1000),
            rng.random() * 10,
            rng.choice([0.01, 0.05, 0.1]),
            rng.randint(3, 12),
            rng.random(),
        ]
        for j, v in enumerate(values):
            params.append((run_id, f"p{j}", json.dumps(v), float(v)))
        flag = rng.random() < 0.5
        params.append((run_id, "p8", json.dumps(flag), float(flag)))
        params.append((run_id, "p9", json.dumps(rng.choice(["gbdt", "dart", "goss"])), None))
        for j in range(5):
            v = rng.random()
            latest.append((run_id, f"m{j}", 0, v))
            history.append((run_id, f"m{j}", 0, v, started.timestamp() + duration))
    conn.executemany(
        "INSERT INTO runs (id, name, experiment_id, status, kind, model, command, cwd, host, "
        "pid, seed, environment, created_at, started_at, ended_at, duration_s, heartbeat_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        runs,
    )
    params.sort()
    conn.executemany("INSERT INTO params (run_id, key, value, num) VALUES (?, ?, ?, ?)", params)
    latest.sort()
    conn.executemany("INSERT INTO latest_metrics (run_id, key, step, value) VALUES (?, ?, ?, ?)", latest)
    conn.executemany(
        "INSERT INTO metrics (run_id, key, step, value, timestamp) VALUES (?, ?, ?, ?, ?)", history
    )
    conn.execute("COMMIT")
    if analyze:  # wb itself never runs ANALYZE or PRAGMA optimize (so no sqlite_stat1)
        conn.execute("ANALYZE")
    conn.close()
    return folder


def run_query(ws, kwargs: dict) -> int:
    from workbench.core.experiments.runs import list_runs

    return len(list_runs(ws, limit=50, **kwargs))


def captured_sql(ws, kwargs: dict) -> str:
    """The SELECT list_runs sends, with its parameters inlined (sqlite3_expanded_sql)."""
    seen: list[str] = []
    ws.conn.set_trace_callback(seen.append)
    try:
        run_query(ws, kwargs)
    finally:
        ws.conn.set_trace_callback(None)
    return next(s for s in seen if "JOIN experiments" in s)  # the first of the list's queries


def plan(conn: sqlite3.Connection, sql: str, args: tuple = ()) -> list[str]:
    rows = conn.execute("EXPLAIN QUERY PLAN " + sql, args).fetchall()
    depth: dict[int, int] = {0: 0}
    out = []
    for node_id, parent, _, detail in rows:
        depth[node_id] = depth.get(parent, 0) + 1
        out.append("  " * depth[node_id] + detail)
    return out


def time_cli(root: Path, repeat: int) -> tuple[float, int]:
    cmd = [*wb_command(), "-w", str(root), "runs", "list", "--where", WHERE, "--sort", SORT, "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
        count = len(json.loads(done.stdout))
    return med(times), count


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=100_000, help="runs in the workspace (100000)")
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions (5); median")
    p.add_argument("--quick", action="store_true", help="a fast run: 20000 runs, 3 repetitions")
    p.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE after generating (wb never does; shows the plans SQLite "
        "picks with statistics, as after a `PRAGMA optimize`)",
    )
    args = p.parse_args()
    if args.quick:
        args.runs, args.repeat = 20_000, 3
    from workbench.core.storage.workspace import Workspace

    with scratch(args.dir, args.keep) as tmp:
        start = time.perf_counter()
        root = generate(tmp / "ws", args.runs, args.analyze)
        print(
            f"generated {args.runs} runs (10 params, 5 metrics each"
            f"{', then ANALYZE' if args.analyze else ''}) in "
            f"{time.perf_counter() - start:.1f}s; {args.repeat} repetitions, interleaved, "
            f"median",
            flush=True,
        )
        ws = Workspace.find(root)
        conn = ws.conn
        names = ["baseline", *QUERIES, *REWRITES]

        def once(name: str) -> int:
            if name == "baseline":
                return len(conn.execute(BASELINE_SQL).fetchall())
            if name in REWRITES:
                return len(conn.execute(*REWRITES[name]).fetchall())
            return run_query(ws, QUERIES[name])

        counts = {name: once(name) for name in names}  # warm-up, untimed
        times: dict[str, list[float]] = {name: [] for name in names}
        for rep in range(args.repeat):
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                t = time.perf_counter()
                once(name)
                times[name].append(time.perf_counter() - t)
        plans = {name: plan(conn, captured_sql(ws, QUERIES[name])) for name in QUERIES}
        expected = [r.id for r in _list(ws, QUERIES["where + sort (target)"])]
        same = {}
        for name, (sql, sql_args) in REWRITES.items():
            plans[name] = plan(conn, sql, sql_args)
            same[name] = [r["id"] for r in conn.execute(sql, sql_args)] == expected
        # What `wb train` (workbench/cli/train.py) calls after training, to find its new runs.
        t = time.perf_counter()
        all_count = len(_list(ws, {}, limit=None))
        all_s = time.perf_counter() - t
        ws.close()
        cli_s, cli_count = time_cli(root, 3)

    base = med(times["baseline"])
    rows = [
        (
            name,
            counts[name],
            f"{med(times[name]) * 1000:.1f}",
            f"{min(times[name]) * 1000:.1f}",
            f"{med(times[name]) / base:.0f}",
        )
        for name in names
    ]
    rows.append(
        (
            "CLI wb runs list --where --sort --json",
            cli_count,
            f"{cli_s * 1000:.0f}",
            "",
            f"{cli_s / base:.0f}",
        )
    )
    rows.append(
        (
            "list_runs(limit=None), once (wb train's CLI does it)",
            all_count,
            f"{all_s * 1000:.0f}",
            "",
            f"{all_s / base:.0f}",
        )
    )
    print()
    print(table(["query (list_runs, limit 50)", "rows", "median ms", "best ms", "vs baseline"], rows))
    for name, equal in same.items():
        print(f"{name}: the same runs in the same order as list_runs: {equal}")
    print("\nEXPLAIN QUERY PLAN:")
    for name, lines in plans.items():
        print(f"  {name}:")
        for line in lines:
            print(f"    {line}")
    print()
    target_s = med(times["where + sort (target)"])
    ratio = target_s / base
    ok = target_s <= TARGET_SECONDS
    slowest = max(QUERIES, key=lambda n: med(times[n]))
    print(
        f"RESULT ratio={ratio:.0f} (vs bare SELECT) query={target_s:.3f}s "
        f"target<={TARGET_SECONDS}s cli={cli_s:.3f}s (slowest: {slowest} "
        f"{med(times[slowest]):.3f}s) {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


def _list(ws, kwargs: dict, limit: int | None = 50):
    from workbench.core.experiments.runs import list_runs

    return list_runs(ws, limit=limit, **kwargs)


if __name__ == "__main__":
    sys.exit(main())
