"""`wb data add` of a ~300 MB retail CSV vs `polars.read_csv` of the same file.

    python bench/data_add.py [--size-mb 300] [--repeat 3] [--nulls-in-last-column] [--dir PATH]

The CSV (a date, string categoricals, floats, ints, some nulls; ~5M rows) is generated with
polars, flushed and read once so that it is warm in the page cache. Each round times, in
alternating order, `datasets.add(ws, path, "bench")` into a fresh workspace (the Python API of
`wb data add`: read, profile, hash and copy into the store, fsync, commit) and
`pl.read_csv(path, try_parse_dates=True)` (reading the file with polars, dates parsed as the
product does, everything else polars' defaults). Target: add / read_csv <= 1.3, best of N. Each
round also times the pieces of an add on their own (where to optimise; tabular.read_table adds
infer_schema_length=10_000 and a ragged-row check to that read); at the end the CLI
`wb data add` runs once in a subprocess (for information).
"""

from __future__ import annotations

import datetime
import gc
import os
import sys
import threading
from pathlib import Path

import numpy as np
import polars as pl
from _common import (
    med,
    parser,
    read_through,
    remove,
    result,
    run_quiet,
    scratch,
    sync,
    table,
    timed,
    wb_command,
)

from workbench.core.data import datasets, profile, tabular
from workbench.core.storage.local_backend import LocalBackend
from workbench.core.storage.store import ObjectStore
from workbench.core.storage.workspace import Workspace

TARGET = 1.3
READ_OPTIONS = dict(try_parse_dates=True)
PRODUCT_INFER_ROWS = 10_000  # tabular._read_csv's infer_schema_length
FIRST_DAY = (datetime.date(2024, 1, 1) - datetime.date(1970, 1, 1)).days  # two years of days


# -- the input ------------------------------------------------------------------------------
def retail_frame(rows: int, nulls_in_last_column: bool, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    stores = pl.Series([f"S{i:03d}" for i in range(60)])
    regions = pl.Series(["north", "south", "east", "west", "central"])
    items = pl.Series([f"I{i:04d}" for i in range(2000)])
    categories = pl.Series(
        ["grocery", "dairy", "bakery", "produce", "household", "beverages", "frozen", "personal care"]
    )
    channels = pl.Series(["store", "online", "app"])
    store_idx = rng.integers(0, len(stores), rows)
    item_idx = rng.integers(0, len(items), rows)
    day = np.sort(rng.integers(0, 730, rows))

    def with_nulls(values: np.ndarray, fraction: float) -> pl.Series:
        s = pl.Series(values)
        return s.scatter(np.flatnonzero(rng.random(rows) < fraction), None)

    price = np.round(rng.lognormal(1.2, 0.8, rows), 2)
    units = rng.poisson(12, rows)
    return pl.DataFrame(
        {
            "date": (pl.Series(day + FIRST_DAY, dtype=pl.Int32)).cast(pl.Date),
            "store_id": stores.gather(store_idx),
            "region": regions.gather(store_idx % len(regions)),
            "item_id": items.gather(item_idx),
            "category": categories.gather(item_idx % len(categories)),
            "channel": with_nulls(channels.gather(rng.integers(0, 3, rows)).to_numpy(), 0.03),
            "price": with_nulls(price, 0.01),
            "promo": rng.integers(0, 2, rows),
            "holiday": (rng.random(rows) < 0.03).astype(np.int64),
            "temperature_c": with_nulls(np.round(rng.normal(12, 9, rows), 1), 0.02),
            "units_sold": with_nulls(units, 0.01) if nulls_in_last_column else pl.Series(units),
        }
    )


def make_csv(path: Path, size_mb: int, nulls_in_last_column: bool) -> int:
    """Write about `size_mb` MiB of CSV to `path`; returns the number of rows."""
    sample = retail_frame(20_000, nulls_in_last_column)
    bytes_per_row = len(sample.write_csv()) / sample.height
    rows = max(1000, int(size_mb * 1024 * 1024 / bytes_per_row))
    retail_frame(rows, nulls_in_last_column).write_csv(path)
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    return rows


# -- what is timed --------------------------------------------------------------------------
def time_read_csv(path: Path) -> float:
    elapsed = timed(lambda: pl.read_csv(path, **READ_OPTIONS))
    gc.collect()
    return elapsed


def time_add(path: Path, root: Path) -> float:
    ws, _ = Workspace.init(root)
    try:
        elapsed = timed(lambda: datasets.add(ws, path, "bench"))
    finally:
        ws.close()
    remove(root)
    gc.collect()
    sync()
    return elapsed


def breakdown(path: Path, tmp: Path) -> list[tuple[str, float]]:
    """The pieces of an add, each timed on its own (in an add, staging runs on a thread
    alongside read_table and profile.compute)."""
    ws, _ = Workspace.init(tmp / "ws-breakdown")
    bins, top = ws.config.data.histogram_bins, ws.config.data.top_values
    ws.close()
    parts: list[tuple[str, float]] = []
    parts.append(
        (
            "tabular.check_readable + detect_format",
            timed(lambda: (tabular.check_readable(path), tabular.detect_format(path))),
        )
    )
    box: dict[str, pl.DataFrame] = {}
    parts.append(("tabular.read_table", timed(lambda: box.setdefault("df", tabular.read_table(path, "csv")))))
    parts.append(
        (
            f"  pl.read_csv(try_parse_dates, infer_schema_length={PRODUCT_INFER_ROWS:_})",
            timed(lambda: pl.read_csv(path, **READ_OPTIONS, infer_schema_length=PRODUCT_INFER_ROWS)),
        )
    )
    gc.collect()
    parts += time_profile(box.pop("df"), bins, top)
    gc.collect()
    store = ObjectStore(LocalBackend(tmp / "objects-breakdown"))
    staged = []
    parts.append(
        ("ObjectStore.stage_file (hash, copy, fsync)", timed(lambda: staged.append(store.stage_file(path))))
    )
    staged[0].discard()
    floor = timed(lambda: _unprofiled(store, path))
    parts.append(("read_table while staging (no profile: the floor)", floor))
    remove(tmp / "objects-breakdown")
    remove(tmp / "ws-breakdown")
    sync()
    return parts


def _unprofiled(store: ObjectStore, path: Path) -> None:
    """An add without its profile: the file read while a thread stages it, as an add does."""
    thread = threading.Thread(target=lambda: store.stage_file(path).discard())
    thread.start()
    tabular.read_table(path, "csv")
    thread.join()


def time_profile(df: pl.DataFrame, bins: int, top: int) -> list[tuple[str, float]]:
    parts = [("profile.compute", timed(lambda: profile.compute(df, bins=bins, top=top)))]
    parts += [(f"  {name}", t) for name, t in profile_parts(df, bins, top)]
    parts.append(("profile.schema_of", timed(lambda: profile.schema_of(df))))
    return parts


def profile_parts(df: pl.DataFrame, bins: int, top: int) -> list[tuple[str, float]]:
    """profile.compute's own steps, through its private helpers (skipped if they change)."""
    try:
        return _profile_parts(df, bins, top)
    except (AttributeError, TypeError, KeyError) as exc:
        print(f"  (profile.compute's steps not timed: its helpers changed: {exc!r})")
        return []


def _profile_parts(df: pl.DataFrame, bins: int, top: int) -> list[tuple[str, float]]:
    kinds = {n: profile.column_kind(t) for n, t in df.schema.items()}
    exprs = profile._stat_exprs(kinds)
    box = {}
    out = [
        (
            "one select: nulls, min/max of dates, mean/std",
            timed(lambda: box.setdefault("s", df.select(exprs).row(0, named=True))),
        )
    ]
    stats = box["s"]
    numeric = [n for n, k in kinds.items() if k == "numeric"]
    text = [n for n, k in kinds.items() if k in ("text", "boolean")]

    def numbers() -> None:
        for n in numeric:
            profile._numeric(df.get_column(n), stats[f"{n}\0mean"], stats[f"{n}\0std"], bins, [])

    def texts() -> None:
        pl.collect_all([profile._counted(df, n) for n in text])

    out.append((f"sort, quantiles, histogram ({len(numeric)} numeric columns)", timed(numbers)))
    out.append((f"value counts ({len(text)} text columns, side by side)", timed(texts)))
    return out


def time_cli(path: Path, root: Path) -> float:
    Workspace.init(root)[0].close()
    cmd = [*wb_command(), "-w", str(root), "data", "add", str(path), "--name", "bench"]
    elapsed = timed(lambda: run_quiet(cmd))
    remove(root)
    sync()
    return elapsed


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=300, help="size of the CSV in MiB (300)")
    p.add_argument(
        "--repeat", type=int, default=3, help="rounds: timed runs of add, read_csv and the breakdown (3)"
    )
    p.add_argument("--no-breakdown", action="store_true", help="time only add and read_csv (a quicker run)")
    p.add_argument(
        "--nulls-in-last-column",
        action="store_true",
        help="put nulls (1%%) in the last column too, as many real files have",
    )
    args = p.parse_args()

    with scratch(args.dir, args.keep) as tmp:
        path = tmp / "retail.csv"
        print(f"writing a ~{args.size_mb} MiB retail CSV in {tmp} ...", flush=True)
        rows = make_csv(path, args.size_mb, args.nulls_in_last_column)
        size = path.stat().st_size
        sync()
        read_through(path)
        print(
            f"{size / 1e6:.0f} MB, {rows:,} rows x 11 columns; nulls in the last column: "
            f"{'yes' if args.nulls_in_last_column else 'no'}"
        )

        # Untimed warm-up of both (imports, polars' thread pool, the page cache).
        time_read_csv(path)
        time_add(path, tmp / "ws-warmup")
        adds: list[float] = []
        reads: list[float] = []
        runs: list[list[tuple[str, float]]] = []
        what = "add and read_csv" + ("" if args.no_breakdown else ", then the breakdown")
        print(f"{args.repeat} rounds of {what}, interleaved", flush=True)
        for rep in range(args.repeat):
            if rep % 2 == 0:
                adds.append(time_add(path, tmp / f"ws{rep}"))
                reads.append(time_read_csv(path))
            else:
                reads.append(time_read_csv(path))
                adds.append(time_add(path, tmp / f"ws{rep}"))
            if not args.no_breakdown:
                runs.append(breakdown(path, tmp))
            print(f"  round {rep + 1}: add {adds[-1]:.2f}s, read_csv {reads[-1]:.2f}s", flush=True)
        parts = (
            [(name, min(run[i][1] for run in runs)) for i, (name, _) in enumerate(runs[0])] if runs else []
        )
        cli = time_cli(path, tmp / "ws-cli")

    base = min(reads)
    print()
    print(
        table(
            ["measured", "best s", "median s", "vs read_csv"],
            [
                ("pl.read_csv (baseline)", f"{base:.2f}", f"{med(reads):.2f}", "1.00"),
                ("datasets.add", f"{min(adds):.2f}", f"{med(adds):.2f}", f"{min(adds) / base:.2f}"),
                ("wb data add (CLI, once)", f"{cli:.2f}", "", f"{cli / base:.2f}"),
            ],
        )
    )
    print()
    if parts:
        print(
            f"breakdown (each piece on its own, best of {args.repeat}; in an add, staging "
            f"runs on a thread alongside reading and profiling):"
        )
        print(
            table(
                ["piece", "best s", "vs read_csv"],
                [(name, f"{t:.2f}", f"{t / base:.2f}") for name, t in parts],
            )
        )
        print()
    med_ratio = med([a / r for a, r in zip(adds, reads, strict=True)])
    ok = result(
        min(adds) / base,
        TARGET,
        extra=f"(add / read_csv, best of {args.repeat}; median of pairs {med_ratio:.2f})",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
