"""`wb train --data sales@1 --target units_sold` end to end vs a bare LightGBM fit.

    python bench/train.py [--repeat 5] [--quick] [--no-breakdown] [--no-cli]

The sample data (sample_data/drops/reference.csv, 22,400 rows) is added to a fresh workspace as
`sales`. wb: `workbench.core.experiments.training.train(ws, TrainSpec(data="sales@1", target="units_sold"))`
(LightGBM, wb's defaults: 300 rounds), which loads the dataset version, builds the features,
fits a trial copy on 200 rows, creates the run (environment capture), fits with a validation
set, logs metrics and the per-round curve, stores the model and ends the run. Baseline: the
same LGBMRegressor (same parameters, threads and categorical columns) fitted on the same
already-prepared feature matrix, nothing else; and, for information, the same bare fit on one
thread (wb's LightGBM uses n_jobs=2: on a two-core machine that something else keeps busy, its
OpenMP threads spin and wait, and a fit can take ten times longer). The three take turns, best
of N rounds (medians printed too). Then one
more wb round with its pieces wrapped in timers shows where the time goes, and the CLI runs
once in a subprocess (start-up included), for information. Target: seconds, not minutes: wb
train under 60 s here; the ratio to the bare fit is printed as the overhead.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from _common import med, parser, run_quiet, scratch, table, wb_command
from _timers import Timers

TARGET_SECONDS = 60.0
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "drops" / "reference.csv"
TARGET_COLUMN = "units_sold"


def spec():
    from workbench.core.experiments.training import TrainSpec

    return TrainSpec(data="sales@1", target=TARGET_COLUMN)


def time_wb(ws) -> tuple[float, str]:
    from workbench.core.experiments import training

    start = time.perf_counter()
    run_id = training.train(ws, spec())
    return time.perf_counter() - start, run_id


def bare_fit_inputs(ws):
    """The prepared feature matrix, labels and an unfitted copy of wb's LightGBM model."""
    from sklearn.base import clone

    from workbench.core.experiments import training

    p = training.prepare(ws, spec())
    prep = clone(p.built.pipeline.named_steps["prep"])
    xt = prep.fit_transform(p.X_train)
    return xt, p.y_train, p.built.pipeline.named_steps["model"], dict(p.built.fit_params)


def time_bare(inputs, n_jobs: int | None = None) -> float:
    from sklearn.base import clone

    xt, y, model, fit_params = inputs
    model = clone(model)
    if n_jobs is not None:
        model.set_params(n_jobs=n_jobs)
    start = time.perf_counter()
    model.fit(xt, y, **fit_params)
    elapsed = time.perf_counter() - start
    assert model.booster_.current_iteration() == model.n_estimators
    return elapsed


def breakdown(ws) -> tuple[float, Timers]:
    import lightgbm as lgb

    from workbench.core.data import datasets
    from workbench.core.experiments import environment, runs, tracking, training
    from workbench.core.models import features, model_io

    with Timers() as timers:
        timers.wrap(training, "prepare", "training.prepare (checks before a run exists)")
        timers.wrap(datasets, "load", "  datasets.load (read the stored version)")
        timers.wrap(features, "build", "  features.build (train and validation frames)")
        timers.wrap(training, "_trial_fit", "  _trial_fit (a copy on 200 rows)")
        timers.wrap(runs, "create", "runs.create")
        timers.wrap(environment, "capture", "  environment.capture (git, installed packages)")
        timers.wrap(training, "_fit_and_log", "_fit_and_log")
        timers.wrap(lgb.LGBMRegressor, "fit", "  LGBMRegressor.fit (trial fit included)")
        timers.wrap(training, "_learning_curve", "  _learning_curve")
        timers.wrap(training, "_importances", "  _importances")
        timers.wrap(model_io, "dump", "  model_io.dump (skops)")
        timers.wrap(training, "record", "  training.record (metrics, importances, model)")
        timers.wrap(tracking.Run, "end", "Run.end (flush, finish)")
        start = time.perf_counter()
        training.train(ws, spec())
        total = time.perf_counter() - start
    return total, timers


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="rounds (5); best of them")
    p.add_argument("--quick", action="store_true", help="a fast run: 1 round, no CLI run")
    p.add_argument("--no-breakdown", action="store_true", help="skip the per-piece round")
    p.add_argument("--no-cli", action="store_true", help="skip the CLI run")
    args = p.parse_args()
    if args.quick:
        args.repeat, args.no_cli = 1, True
    os.environ.pop("WB_RUN_ID", None)
    os.environ.pop("WB_WORKSPACE", None)
    from workbench.core.data import datasets
    from workbench.core.storage.workspace import Workspace

    with scratch(args.dir, args.keep) as tmp:
        os.chdir(tmp)  # runs record their folder's git state; keep this repository's out
        root = tmp / "ws"
        ws, _ = Workspace.init(root)
        datasets.add(ws, SAMPLE, "sales")
        inputs = bare_fit_inputs(ws)
        print(
            f"{SAMPLE.name}: {inputs[0].shape[0]} training rows, {inputs[0].shape[1]} "
            f"features, {inputs[2].n_estimators} boosting rounds; {args.repeat} rounds each, "
            f"taking turns",
            flush=True,
        )
        wb_times: list[float] = []
        bare_times: list[float] = []
        one_thread: list[float] = []
        for rep in range(args.repeat):
            order = ["wb", "bare", "bare1"]
            for who in order[rep % 3 :] + order[: rep % 3]:
                if who == "wb":
                    elapsed, run_id = time_wb(ws)
                    status = ws.conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
                    if status != "finished":
                        raise SystemExit(f"the wb run ended {status}")
                    wb_times.append(elapsed)
                elif who == "bare":
                    bare_times.append(time_bare(inputs))
                else:
                    one_thread.append(time_bare(inputs, n_jobs=1))
            print(
                f"  round {rep + 1}: wb train {wb_times[-1]:.2f}s, bare fit "
                f"{bare_times[-1]:.2f}s, bare fit on one thread {one_thread[-1]:.2f}s",
                flush=True,
            )
        pieces = None if args.no_breakdown else breakdown(ws)
        cli_s = None
        if not args.no_cli:
            env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
            start = time.perf_counter()
            run_quiet(
                [*wb_command(), "-w", root, "train", "--data", "sales@1", "--target", TARGET_COLUMN],
                env=env,
                cwd=tmp,
            )
            cli_s = time.perf_counter() - start
        ws.close()

    wb_s, bare_s = min(wb_times), min(bare_times)
    rows = [
        ("wb training.train (end to end)", f"{wb_s:.3f}", f"{med(wb_times):.3f}", f"{wb_s / bare_s:.2f}"),
        ("bare LGBMRegressor.fit (baseline)", f"{bare_s:.3f}", f"{med(bare_times):.3f}", "1"),
        (
            "bare fit, n_jobs=1 (info)",
            f"{min(one_thread):.3f}",
            f"{med(one_thread):.3f}",
            f"{min(one_thread) / bare_s:.2f}",
        ),
    ]
    if cli_s is not None:
        rows.append(("CLI wb train (once, start-up included)", f"{cli_s:.3f}", "", f"{cli_s / bare_s:.2f}"))
    print()
    print(table(["rounds", "best s", "median s", "best vs bare fit"], rows))
    if pieces:
        total, timers = pieces
        print(f"\nwhere wb train's time goes (one more round with timers, {total:.2f}s):")
        print(table(["piece (nested pieces indented)", "calls", "ms", "share"], timers.rows(total)))
    print()
    ratio = wb_s / bare_s
    ok = wb_s <= TARGET_SECONDS
    print(
        f"RESULT ratio={ratio:.2f} (wb train / bare fit) wb_train={wb_s:.2f}s "
        f"bare_fit={bare_s:.2f}s target<={TARGET_SECONDS:g}s {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
