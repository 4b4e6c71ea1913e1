"""TPE against random search on the same budget of trials: the best validation rmse after 20
trials, median of 5 seeds.

    python bench/search_tpe.py [--trials 20] [--seeds 5] [--rounds 40] [--rows week|sample]

The sample data (`--rows week`, the default: sample_data/drops/week_01.csv, 2,800 rows;
`--rows sample` for reference.csv, 22,400 rows) is added to a fresh workspace as `sales`. For
each seed, `sweeps.run_search` (the code under `wb train --search random|tpe --trials N
--seed S`) trains LightGBM runs of `--rounds` boosting rounds, one at a time in this process,
over the same space: learning_rate 0.005:0.3:log, num_leaves 4:128:int,
min_child_samples 5:80:int, colsample_bytree 0.3:1.0, reg_lambda 0.001:10:log. The two kinds
alternate per seed. It prints, per kind, the median over the seeds of the best rmse, and the
ratio TPE / random (below 1: TPE found better parameters on the same budget). Target: the
ratio <= 1 (TPE at least as good as random search); with 20 trials TPE's first 10 are its
random start-up, so expect a modest gain.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

from _common import med, parser, result, scratch, table

TARGET = 1.0
DROPS = Path(__file__).resolve().parent.parent / "sample_data" / "drops"
SPACE_TEXT = {
    "learning_rate": "0.005:0.3:log",
    "num_leaves": "4:128:int",
    "min_child_samples": "5:80:int",
    "colsample_bytree": "0.3:1.0",
    "reg_lambda": "0.001:10:log",
}


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=20, help="trials per search (20)")
    p.add_argument("--seeds", type=int, default=5, help="seeds, each a search of each kind (5)")
    p.add_argument("--rounds", type=int, default=40, help="LightGBM rounds per trial (40)")
    p.add_argument("--rows", choices=["week", "sample"], default="week", help="the data to search on")
    args = p.parse_args()

    from workbench.core.data import datasets
    from workbench.core.experiments import runs, sweeps
    from workbench.core.experiments.training import TrainSpec
    from workbench.core.storage.workspace import Workspace

    data = DROPS / ("week_01.csv" if args.rows == "week" else "reference.csv")
    space = {k: sweeps.parse_sweep(k, v) for k, v in SPACE_TEXT.items()}
    best: dict[str, list[float]] = {"random": [], "tpe": []}
    spent: dict[str, float] = {"random": 0.0, "tpe": 0.0}
    with scratch(args.dir, args.keep) as tmp:
        os.chdir(tmp)  # runs record the folder's git state: a plain folder has none
        ws, _ = Workspace.init(tmp / "ws")
        datasets.add(ws, data, "sales")
        print(f"{data.name}: {args.trials} trials of {args.rounds} rounds, {args.seeds} seeds", flush=True)
        for seed in range(args.seeds):
            for kind in ("random", "tpe") if seed % 2 == 0 else ("tpe", "random"):
                base = TrainSpec(
                    data="sales@1", target="units_sold", params={"n_estimators": args.rounds}, seed=seed
                )
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _, outcomes = sweeps.run_search(
                        ws, base, space, kind=kind, trials=args.trials, experiment=f"{kind}-{seed}"
                    )
                spent[kind] += time.perf_counter() - start
                found = runs.best(runs.by_ids(ws, [o.run_id for o in outcomes if o.run_id]))
                if found is None:
                    raise SystemExit(f"the {kind} search of seed {seed} finished no run")
                best[kind].append(found.metrics["rmse"])
            print(f"  seed {seed}: random {best['random'][-1]:.4f}, tpe {best['tpe'][-1]:.4f}", flush=True)
        ws.close()
        os.chdir(Path(__file__).resolve().parent)
    rand, tpe = med(best["random"]), med(best["tpe"])
    print()
    print(
        table(
            [f"best rmse after {args.trials} trials", "median", "min", "max", "s per search"],
            [
                (
                    kind,
                    f"{med(best[kind]):.4f}",
                    f"{min(best[kind]):.4f}",
                    f"{max(best[kind]):.4f}",
                    f"{spent[kind] / args.seeds:.1f}",
                )
                for kind in ("random", "tpe")
            ],
        )
    )
    print()
    return 0 if result(tpe / rand, TARGET, extra=f"tpe={tpe:.4f} random={rand:.4f}") else 1


if __name__ == "__main__":
    sys.exit(main())
