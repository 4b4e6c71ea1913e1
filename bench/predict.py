"""`wb predict` on 1,000,000 rows with a LightGBM model vs polars + the booster's own predict.

    python bench/predict.py [--rows 1000000] [--train-rows 200000] [--repeat 3] [--quick]
                            [--no-csv] [--no-breakdown] [--no-cli] [--dir PATH] [--keep]

A retail-like table (a date, store, region, item, category, a channel with nulls, price with
nulls, promo, holiday, temperature with nulls; units sold depend on price, promo, holiday,
region, category and weekday) is generated with a fixed seed. `--train-rows` of it are added
to a fresh workspace as `sales` and `wb train --data sales@1 --target units_sold --register m
--json` runs in a subprocess (LightGBM with wb's defaults: 300 rounds, one thread), making
`m@1`. Another `--rows` rows of the same generator, without the target, are written as Parquet
(and CSV, for information).

Timed, interleaved (the order turns each round), best of N:
- wb: `prediction.predict(ws, "m@1", input.parquet, out.parquet)`: resolve, read, schema check,
  model load (hash verified, skops), features, preprocessing, predict, the input's columns plus
  `prediction` written to a temp file and renamed, an audit event.
- "read + booster" (the issue's words, and the RESULT's baseline): `pl.read_parquet(input)` plus
  `booster.predict(Xt, num_threads=1)` on the feature matrix already built and transformed
  (outside the timing); the same booster and thread count wb's model has. Nothing is written.
- "read + features + transform + booster", for information: the same read, then
  `features.build` with the model's recipe, the fitted pipeline's `prep.transform` and the
  booster's predict: all a hand-written script needs to score this file, minus the writing.
- with CSV input and output (unless --no-csv), for information: wb, and `pl.read_csv` plus the
  booster's predict.
wb's predictions are checked against the booster's. One more wb round with timers shows where
its time goes (read, schema check, model load, features, transform, predict, assembling, write,
the rest), and the CLI `wb predict m@1 input.parquet -o out.parquet` runs twice in a subprocess
(start-up included, best of 2); the booster's predict alone on one thread and on every core is printed
too. Target: wb / (read + booster) <= 1.3, best of N.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from _common import parser, remove, result, run_quiet, scratch, table, timed, wb_command
from _timers import Timers

TARGET = 1.3
FIRST_DAY = (np.datetime64("2024-01-01") - np.datetime64("1970-01-01")).astype(int)
REGIONS = ["north", "south", "east", "west", "central"]
CATEGORIES = ["grocery", "dairy", "bakery", "produce", "household", "beverages", "frozen", "personal care"]


# -- the data -------------------------------------------------------------------------------
def retail_frame(rows: int, seed: int) -> pl.DataFrame:
    """Retail sales rows (as bench/data_add.py's, plus a signal for the model to learn)."""
    rng = np.random.default_rng(seed)
    stores = pl.Series([f"S{i:03d}" for i in range(60)])
    items = pl.Series([f"I{i:04d}" for i in range(2000)])
    store_idx = rng.integers(0, len(stores), rows)
    item_idx = rng.integers(0, len(items), rows)
    day = rng.integers(0, 730, rows)
    region_idx = store_idx % len(REGIONS)
    category_idx = item_idx % len(CATEGORIES)
    price = np.round(rng.lognormal(1.2, 0.8, rows), 2)
    promo = rng.integers(0, 2, rows)
    holiday = (rng.random(rows) < 0.03).astype(np.int64)
    temperature = np.round(rng.normal(12, 9, rows), 1)
    weekday = (day + 1) % 7  # 2024-01-01 was a Monday
    rate = np.exp(
        1.8
        + 0.35 * promo
        + 0.5 * holiday
        - 0.15 * np.log1p(price)
        + 0.1 * (weekday >= 5)
        + 0.05 * region_idx
        - 0.03 * category_idx
        + 0.01 * temperature
    )
    units = rng.poisson(rate)

    def with_nulls(values, fraction: float) -> pl.Series:
        return pl.Series(values).scatter(np.flatnonzero(rng.random(rows) < fraction), None)

    return pl.DataFrame(
        {
            "date": pl.Series(day + FIRST_DAY, dtype=pl.Int32).cast(pl.Date),
            "store_id": stores.gather(store_idx),
            "region": pl.Series(REGIONS).gather(region_idx),
            "item_id": items.gather(item_idx),
            "category": pl.Series(CATEGORIES).gather(category_idx),
            "channel": with_nulls(
                pl.Series(["store", "online", "app"]).gather(rng.integers(0, 3, rows)).to_numpy(), 0.03
            ),
            "price": with_nulls(price, 0.01),
            "promo": promo,
            "holiday": holiday,
            "temperature_c": with_nulls(temperature, 0.02),
            "units_sold": units,
        }
    )


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


# -- setting up -----------------------------------------------------------------------------
def make_model(root: Path, train_rows: int) -> tuple[float, dict]:
    """A workspace with `m@1`, trained and registered by the CLI; returns (seconds, JSON)."""
    from workbench.core.data import datasets
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(root)
    source = root / "train.parquet"
    retail_frame(train_rows, seed=1).write_parquet(source)
    datasets.add(ws, source, "sales")
    ws.close()
    env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
    start = time.perf_counter()
    done = run_quiet(
        [*wb_command(), "train", "--data", "sales@1", "--target", "units_sold", "--register", "m", "--json"],
        cwd=root,
        env=env,
    )
    return time.perf_counter() - start, json.loads(done.stdout)


class Baseline:
    """What a hand-written script holds once it has loaded the model: the feature recipe, the
    fitted preprocessing and the LightGBM booster (loaded once, outside every timing)."""

    def __init__(self, ws, ref: str):
        from workbench.core.models import features, registry

        mv = registry.resolve(ws, ref)
        loaded = registry.load(ws, mv)
        self.spec = features.FeatureSpec.from_dict(loaded.meta["features"])
        self.prep = loaded.pipeline.named_steps["prep"]
        model = loaded.pipeline.named_steps["model"]
        self.booster = model.booster_
        self.threads = model.get_params()["n_jobs"]
        self.rounds = self.booster.current_iteration()

    def features(self, df: pl.DataFrame) -> np.ndarray:
        from workbench.core.models import features

        return self.prep.transform(features.build(df, self.spec))

    def predict(self, xt) -> np.ndarray:
        return self.booster.predict(xt, num_threads=self.threads)


# -- what is timed --------------------------------------------------------------------------
def time_wb(ws, source: Path, dest: Path) -> float:
    from workbench.core.models import prediction

    elapsed = timed(lambda: prediction.predict(ws, "m@1", source, dest))
    dest.unlink()
    gc.collect()
    return elapsed


def time_read_booster(base: Baseline, read, source: Path, xt) -> float:
    start = time.perf_counter()
    read(source)
    base.predict(xt)
    elapsed = time.perf_counter() - start
    gc.collect()
    return elapsed


def time_full_baseline(base: Baseline, source: Path) -> float:
    start = time.perf_counter()
    df = pl.read_parquet(source)
    base.predict(base.features(df))
    elapsed = time.perf_counter() - start
    gc.collect()
    return elapsed


def breakdown(ws, source: Path, dest: Path) -> tuple[float, list]:
    import lightgbm as lgb
    from sklearn.compose import ColumnTransformer

    from workbench.core import events
    from workbench.core.data import tabular
    from workbench.core.models import features, prediction, registry

    with Timers() as t:
        t.wrap(tabular, "check_readable", "check the file is readable")
        t.wrap(tabular, "read_table", "read (tabular.read_table)")
        t.wrap(prediction, "check_schema", "schema check")
        t.wrap(registry, "load", "model load (verify hash, skops)")
        t.wrap(features, "build", "features.build")
        t.wrap(ColumnTransformer, "transform", "prep.transform")
        t.wrap(lgb.Booster, "predict", "booster.predict")
        t.wrap(pl.DataFrame, "with_columns", "add prediction columns")
        t.wrap(pl, "concat", "concat the batches")
        t.wrap(pl.DataFrame, "write_parquet", "write (write_parquet)")
        t.wrap(events, "record", "audit event")
        start = time.perf_counter()
        prediction.predict(ws, "m@1", source, dest)
        total = time.perf_counter() - start
    dest.unlink()
    rows = t.rows(total)
    accounted = sum(sum(v) for v in t.spent.values())
    rest = total - accounted
    rows.append(
        ("the rest (resolve, batching, rename, commit)", "", f"{rest * 1000:.2f}", f"{rest / total:.0%}")
    )
    return total, rows


# -- the benchmark --------------------------------------------------------------------------
def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows to predict")
    p.add_argument("--train-rows", type=int, default=200_000, help="rows to train on")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="100,000 rows, 50,000 to train on")
    p.add_argument("--no-csv", action="store_true", help="skip the CSV rounds")
    p.add_argument("--no-breakdown", action="store_true")
    p.add_argument("--no-cli", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.rows, args.train_rows = 100_000, 50_000

    from workbench.core.storage.workspace import Workspace

    with scratch(args.dir, args.keep) as tmp:
        root = tmp / "ws"
        root.mkdir()
        train_s, trained = make_model(root, args.train_rows)
        registered = trained["registered"]
        print(
            f"trained and registered {registered['name']}@{registered['version']} with "
            f"`wb train --register` on {args.train_rows:,} rows in {train_s:.1f} s "
            f"(rmse {trained['runs'][0]['metrics']['rmse']:.3f})"
        )

        frame = retail_frame(args.rows, seed=2).drop("units_sold")
        parquet, csv = tmp / "input.parquet", tmp / "input.csv"
        frame.write_parquet(parquet)
        fsync_file(parquet)
        if not args.no_csv:
            frame.write_csv(csv)
            fsync_file(csv)
        sizes = f"Parquet {parquet.stat().st_size / 2**20:.0f} MiB" + (
            "" if args.no_csv else f", CSV {csv.stat().st_size / 2**20:.0f} MiB"
        )
        print(f"input: {args.rows:,} rows x {frame.width} columns ({sizes})")

        ws = Workspace(root)
        base = Baseline(ws, "m@1")
        xt = base.features(frame)
        print(
            f"model: LightGBM, {base.rounds} trees, predict on {base.threads} thread(s); "
            f"feature matrix {xt.shape[0]:,} x {xt.shape[1]}"
        )

        # The answers agree before anything is timed.
        out = tmp / "out.parquet"
        from workbench.core.models import prediction

        prediction.predict(ws, "m@1", parquet, out)
        wb_pred = pl.read_parquet(out).get_column("prediction").to_numpy()
        assert np.allclose(wb_pred, base.predict(xt)), "wb's predictions differ from the booster's"
        out.unlink()
        del frame
        gc.collect()

        names = [
            "wb predict (Parquet)",
            "read + booster (RESULT baseline)",
            "read + features + transform + booster",
        ]
        if not args.no_csv:
            names += ["wb predict (CSV -> CSV)", "read_csv + booster"]
        jobs = {
            names[0]: lambda: time_wb(ws, parquet, out),
            names[1]: lambda: time_read_booster(base, pl.read_parquet, parquet, xt),
            names[2]: lambda: time_full_baseline(base, parquet),
        }
        if not args.no_csv:
            out_csv = tmp / "out.csv"
            jobs[names[3]] = lambda: time_wb(ws, csv, out_csv)
            jobs[names[4]] = lambda: time_read_booster(
                base, lambda path: pl.read_csv(path, try_parse_dates=True), csv, xt
            )
        times: dict[str, list[float]] = {n: [] for n in names}
        for i in range(args.repeat):
            order = names if i % 2 == 0 else names[::-1]
            for name in order:
                times[name].append(jobs[name]())
            print(
                f"round {i + 1}: " + ", ".join(f"{n.split(' (')[0]} {times[n][-1]:.2f}s" for n in names),
                flush=True,
            )

        wb_s = min(times[names[0]])
        base_s = min(times[names[1]])
        full_s = min(times[names[2]])

        def wb_of(name: str) -> float:
            return min(times[names[3] if "csv" in name.lower() else names[0]])

        rows = [(n, f"{min(v):.3f}", f"{max(v):.3f}", f"{wb_of(n) / min(v):.2f}") for n, v in times.items()]
        print()
        print(table(["", "best s", "worst s", "wb / this"], rows))
        print(f"\nwb / (read + booster)                      = {wb_s / base_s:.2f}  <- RESULT")
        print(f"wb / (read + features + transform + booster) = {wb_s / full_s:.2f}")
        print(f"rows per second: wb {args.rows / wb_s:,.0f}")
        cores = os.cpu_count() or 1
        all_cores = timed(lambda: base.booster.predict(xt, num_threads=cores))
        one_core = timed(lambda: base.predict(xt))
        print(
            f"for information, booster.predict alone: {one_core:.2f} s on {base.threads} "
            f"thread(s) (as wb's model is saved), {all_cores:.2f} s on {cores}"
        )

        if not args.no_breakdown:
            total, parts = breakdown(ws, parquet, out)
            print(f"\nwhere wb's time goes (one round with timers, {total:.2f} s):")
            print(table(["piece", "calls", "ms", "share"], parts))

        if not args.no_cli:
            env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
            cli = []
            for _ in range(2):
                start = time.perf_counter()
                run_quiet([*wb_command(), "predict", "m@1", parquet, "-o", out], cwd=root, env=env)
                cli.append(time.perf_counter() - start)
                remove(out)
            startup = timed(
                lambda: run_quiet(
                    [sys.executable, "-c", "import lightgbm, sklearn, skops.io, polars, workbench.cli.main"]
                )
            )
            print(
                f"\nCLI `wb predict m@1 input.parquet -o out.parquet` (start-up included), "
                f"best of 2: {min(cli):.2f} s, {min(cli) / base_s:.2f}x the baseline; "
                f"importing what it needs takes {startup:.2f} s of that"
            )
        ws.close()

        ok = result(
            wb_s / base_s,
            TARGET,
            extra=f"(wb predict / (pl.read_parquet + booster.predict), best of "
            f"{args.repeat}) wb={wb_s:.2f}s baseline={base_s:.2f}s "
            f"full_baseline={full_s:.2f}s rows={args.rows}",
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
