"""A 40-run `wb train` sweep on a 2-worker Dask LocalCluster against the same sweep with `-j 2`.

    python bench/cluster_sweep.py [--repeat 2] [--rows sample|week]

The sample data (sample_data/drops/reference.csv, 22,400 rows; `--rows week` for week_01.csv,
2,800 rows, a quick run) is added to a fresh workspace as `sales`. Both sweeps are the CLI in a
subprocess, start-up included: `wb train --data sales@1 --target units_sold --sweep
num_leaves=7,15,31,63 --sweep min_child_samples=5,10,...,50` (40 LightGBM runs of wb's
defaults, one thread each), once with `-j 2` (two spawned worker processes on this machine) and
once with `--cluster ADDRESS` on `LocalCluster(n_workers=2, threads_per_worker=1,
processes=True, dashboard_address=None, host="127.0.0.1")`, started here before the rounds (a
cluster is long-lived: its start is not the sweep's). The first cluster sweep, whose workers
import wb, polars, scikit-learn and LightGBM, is timed apart (cold); then the two take turns,
best of N. Every run must finish, with the same metrics both ways. Target: cluster / `-j 2` <=
1.15 (the cluster's overhead: sending the data, the tasks and the fitted models back).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import med, parser, result, run_quiet, scratch, table, wb_command

TARGET = 1.15
DROPS = Path(__file__).resolve().parent.parent / "sample_data" / "drops"
SWEEP = [
    "--sweep",
    "num_leaves=7,15,31,63",
    "--sweep",
    "min_child_samples=" + ",".join(str(n) for n in range(5, 55, 5)),
]


def sweep(root: Path, *where: str) -> tuple[float, dict]:
    """Seconds of one 40-run sweep, and its runs' metrics by their swept values."""
    argv = [*wb_command(), "train", "--data", "sales@1", "--target", "units_sold", *SWEEP, *where, "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    found = json.loads(done.stdout)["runs"]
    if len(found) != 40 or {r["status"] for r in found} != {"finished"}:
        raise SystemExit(f"{' '.join(where)}: not every run finished")
    return elapsed, {
        (r["params"]["num_leaves"], r["params"]["min_child_samples"]): r["metrics"] for r in found
    }


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=2, help="rounds of each (2); best of them")
    p.add_argument("--rows", choices=["sample", "week"], default="sample", help="the data to sweep on")
    args = p.parse_args()
    import distributed

    data = DROPS / ("reference.csv" if args.rows == "sample" else "week_01.csv")
    with (
        scratch(args.dir, args.keep) as tmp,
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
    ):
        root = tmp / "ws"
        root.mkdir()
        run_quiet([*wb_command(), "init"], cwd=root)
        run_quiet([*wb_command(), "data", "add", data, "--name", "sales"], cwd=root)
        on_cluster = ["--cluster", cluster.scheduler_address]
        print(f"{data.name}: 40 runs; {cluster.scheduler_address}, 2 workers of 1 thread", flush=True)
        cold, metrics = sweep(root, *on_cluster)
        print(f"  first cluster sweep (cold workers): {cold:.2f}s", flush=True)
        times: dict[str, list[float]] = {"cluster": [], "local": []}
        for rep in range(args.repeat):
            for who in ("local", "cluster") if rep % 2 == 0 else ("cluster", "local"):
                elapsed, found = sweep(root, *(on_cluster if who == "cluster" else ["-j", "2"]))
                if found != metrics:
                    raise SystemExit(f"the {who} sweep's metrics differ from the cluster's")
                times[who].append(elapsed)
            print(
                f"  round {rep + 1}: -j 2 {times['local'][-1]:.2f}s, cluster {times['cluster'][-1]:.2f}s",
                flush=True,
            )
    local, remote = min(times["local"]), min(times["cluster"])
    print()
    print(
        table(
            ["40-run sweep", "best s", "median s", "vs -j 2"],
            [
                ("wb train -j 2", f"{local:.2f}", f"{med(times['local']):.2f}", "1"),
                (
                    "wb train --cluster",
                    f"{remote:.2f}",
                    f"{med(times['cluster']):.2f}",
                    f"{remote / local:.2f}",
                ),
                ("  first, cold workers (info)", f"{cold:.2f}", "", f"{cold / local:.2f}"),
            ],
        )
    )
    print()
    return 0 if result(remote / local, TARGET, extra=f"cluster={remote:.2f}s local={local:.2f}s") else 1


if __name__ == "__main__":
    sys.exit(main())
