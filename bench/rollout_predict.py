"""`wb predict rollout:NAME` on 1,000,000 rows vs plain `wb predict`, and `wb rollout status` on
1,000,000 joined outcomes.

    python bench/rollout_predict.py [--rows 1000000] [--train-rows 100000] [--repeat 3] [--dir PATH] [--keep]

bench/predict.py's retail table (fixed seed) plus an `order_id` that identifies each row:
`--train-rows` of it train two LightGBM versions in a fresh workspace (`m@1` in production,
`m@2` another seed of the same recipe, as costly per row), and `--rows` more, with their labels,
are the input. Timed, interleaved, best of N:
- plain: `prediction.predict(ws, "m@1", input.parquet, out.parquet)`;
- rollout: `prediction.predict(ws, "rollout:split", ...)`: m@2 on 50% of the stores by hash, each
  model scoring only its own rows, the batch's predictions logged as a parquet object;
- shadow, for information: a shadow rollout on every store (both models score every row).
Then the input's labels are joined (`wb rollout outcomes split labels.parquet --target units_sold
--key order_id`, timed once, for information) and `rollout_outcomes.status` is timed on the
1,000,000 joined outcomes. Targets: rollout / plain <= 1.3; status < 1 s.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import polars as pl
from _common import parser, result, scratch, table, timed
from predict import retail_frame

TARGET = 1.3
STATUS_TARGET_S = 1.0


def frame(rows: int, seed: int) -> pl.DataFrame:
    return retail_frame(rows, seed).with_row_index("order_id").with_columns(pl.col("order_id").cast(pl.Int64))


def setup(root: Path, train_rows: int):
    from workbench.core.data import datasets
    from workbench.core.experiments import training
    from workbench.core.models import registry
    from workbench.core.storage.workspace import Workspace

    ws, _ = Workspace.init(root)
    ws.config_path.write_text("[rollout]\nmin_labelled = 1000\n")
    ws.close()
    ws = Workspace.find(root)
    source = root / "train.parquet"
    frame(train_rows, seed=1).drop("order_id").write_parquet(source)
    datasets.add(ws, source, "sales")
    for seed in (0, 1):  # the same recipe, so both cost the same per row: the ratio is the rollout's
        spec = training.TrainSpec(data="sales@1", target="units_sold", seed=seed)
        registry.register(ws, training.train(ws, spec), "m")
    registry.promote(ws, "m@1", "production")
    return ws


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--train-rows", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    from workbench.core.models import prediction, rollout_outcomes, rollouts

    with scratch(args.dir, args.keep) as tmp:
        started = time.perf_counter()
        ws = setup(tmp / "ws", args.train_rows)
        data = frame(args.rows, seed=2)
        source, labels = tmp / "input.parquet", tmp / "labels.parquet"
        data.drop("units_sold").write_parquet(source)
        data.select("order_id", "store_id", "units_sold").write_parquet(labels)
        rollouts.start(ws, "m@2", "store_id", share=50, name="split")
        print(f"set up in {time.perf_counter() - started:.1f} s: m@1, m@2, {args.rows:,} rows to score")

        def plain() -> None:
            prediction.predict(ws, "m@1", source, tmp / "plain.parquet", force=True)

        def rollout() -> None:
            prediction.predict(ws, "rollout:split", source, tmp / "rollout.parquet", force=True)

        times: dict[str, list[float]] = {"plain": [], "rollout": []}
        for i in range(args.repeat):
            order = [("plain", plain), ("rollout", rollout)]
            for name, fn in order if i % 2 == 0 else order[::-1]:
                gc.collect()
                times[name].append(timed(fn))
        best = {k: min(v) for k, v in times.items()}
        arms = pl.read_parquet(tmp / "rollout.parquet", columns=["arm"]).get_column("arm").value_counts()
        print(f"rollout arms: {dict(zip(*arms.to_dict(as_series=False).values(), strict=True))}")

        joined = timed(lambda: rollout_outcomes.add_outcomes(ws, "split", labels, "units_sold", ["order_id"]))
        status_times = [timed(lambda: rollout_outcomes.status(ws, "split")) for _ in range(args.repeat)]
        status = rollout_outcomes.status(ws, "split")
        labelled = sum(a.labelled for a in status.arms)

        rollouts.stop(ws, "split", promote=False)
        rollouts.start(ws, "m@2", "store_id", share=100, shadow=True, name="shadow")
        shadow = min(
            timed(lambda: prediction.predict(ws, "rollout:shadow", source, tmp / "s.parquet", force=True))
            for _ in range(args.repeat)
        )
        ws.close()

    ratio = best["rollout"] / best["plain"]
    print(
        table(
            ["what", f"best of {args.repeat} (s)", "vs plain"],
            [
                ("wb predict m@1 (plain)", f"{best['plain']:.3f}", "1.00"),
                ("wb predict rollout:split (50% of stores)", f"{best['rollout']:.3f}", f"{ratio:.2f}"),
                (
                    "wb predict rollout:shadow (both, all rows)",
                    f"{shadow:.3f}",
                    f"{shadow / best['plain']:.2f}",
                ),
                (f"wb rollout outcomes ({labelled:,} joined, once)", f"{joined:.3f}", ""),
                (f"wb rollout status ({labelled:,} outcomes)", f"{min(status_times):.3f}", ""),
            ],
        )
    )
    print(f"status: verdict {status.verdict}; difference {status.difference.to_dict()}")
    status_ok = min(status_times) < STATUS_TARGET_S
    print(f"status on {labelled:,} outcomes: {min(status_times):.3f} s (target < {STATUS_TARGET_S:g} s): "
          + ("met" if status_ok else "NOT met"))  # fmt: skip
    return 0 if result(ratio, TARGET, extra="(rollout / plain wb predict)") and status_ok else 1


if __name__ == "__main__":
    sys.exit(main())
