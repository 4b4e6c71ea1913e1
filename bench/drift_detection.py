"""Drift detection quality on constructed data whose answers are known, with the p-value gate on
numbers before (a chi-square on the reference's decile bins) and after (Kolmogorov-Smirnov
against its quantile sketch), in one run.

    python bench/drift_detection.py [--rows 200 1000 50000] [--shift-seeds 10] [--seeds 20] [--features 30]

Not a timing benchmark: it measures what `wb drift check` flags. A seeded reference of N rows
(a normal `x`, a lognormal `amount`, Poisson `visits`, categorical `shop` and `channel`, and a
`segment` column) is profiled with `workbench.core.data.profile.compute`, exactly as `wb data add`
stores it; a current sample of the same size, from the same generator with another seed, gets
one injected shift of increasing size, and `workbench.core.monitoring.statistics.compare` (what
`wb drift check` runs) says whether the shifted feature is flagged, for --shift-seeds draws of
both sides (the cells count them):

- mean shift of x by 0.05, 0.1, 0.2, 0.25, 0.5 reference sds;
- scale change of x (about its mean) by x1.1, x1.25, x1.5, x2;
- a new category in `shop` on 1 %, 5 %, 10 %, 25 % of the rows;
- missing values: 5 %, 10 %, 20 %, 30 % of x set to null (the rest unchanged);
- a shift in one segment only: x + 1 sd in the rows of one `segment` value that holds 10 %,
  25 %, 50 % of the rows (in both reference and current).

Then the false-alarm rate: random splits of one table of 2N rows and 30 mixed features (normal,
lognormal, counts, low-cardinality ints, categoricals of 3 to 50 levels), for 20 seeds, each
compared half against half; every flagged feature there is a false alarm.

"before" swaps the numeric p-value back to the chi-square on decile bins that wb used until
0.2.0 (`statistics._numeric_p`, for this run only); everything else is the same code.

The RESULT line states, per size, the false alarms and the shifts caught before and after.
Targets: no more false alarms after than before at any size, no fewer shifts caught, and at the
largest size no false alarm and every shift of practical size (mean >= 0.2 sd, scale >= x1.5,
new category >= 5 %, missing >= 10 %) caught in every draw. Exit status 0 when all are met.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from _common import table

from workbench.core import config
from workbench.core.data import profile
from workbench.core.monitoring import statistics

# The defaults a fresh workspace's config.toml has.
SETTINGS = config.DEFAULT.drift
MEAN, SD = 100.0, 15.0
SHOPS = np.array(["s1", "s2", "s3", "s4", "s5"])
SHOP_SHARES = [0.35, 0.25, 0.2, 0.12, 0.08]
CHANNELS = np.array(["web", "store", "phone"])


def sample(rows: int, seed: int, segment_share: float = 0.25) -> pl.DataFrame:
    """One draw of the table every shift starts from."""
    rng = np.random.default_rng(seed)
    rest = (1.0 - segment_share) / 3
    return pl.DataFrame(
        {
            "x": rng.normal(MEAN, SD, rows),
            "amount": rng.lognormal(3.0, 0.8, rows),
            "visits": rng.poisson(5, rows),
            "shop": SHOPS[rng.choice(len(SHOPS), rows, p=SHOP_SHARES)],
            "channel": CHANNELS[rng.integers(0, len(CHANNELS), rows)],
            "segment": np.array(["target", "g1", "g2", "g3"])[
                rng.choice(4, rows, p=[segment_share, rest, rest, rest])
            ],
        }
    )


def some_rows(rows: int, share: float, seed: int) -> pl.Series:
    """A mask of exactly ceil(share * rows) rows, chosen at random."""
    mask = np.zeros(rows, dtype=bool)
    mask[np.random.default_rng(seed).permutation(rows)[: math.ceil(share * rows)]] = True
    return pl.Series(mask)


@dataclass(frozen=True)
class Shift:
    kind: str
    size: float
    label: str
    feature: str
    practical: bool
    apply: Callable[[pl.DataFrame], pl.DataFrame]
    segment_share: float = 0.25


def shifts(rows: int) -> list[Shift]:
    out = [Shift("none", 0, "-", "x", False, lambda df: df)]
    for k in (0.05, 0.1, 0.2, 0.25, 0.5):
        out.append(
            Shift(
                "mean shift",
                k,
                f"{k:g} sd",
                "x",
                k >= 0.2,
                lambda df, k=k: df.with_columns(pl.col("x") + k * SD),
            )
        )
    for k in (1.1, 1.25, 1.5, 2.0):
        out.append(
            Shift(
                "scale change",
                k,
                f"x{k:g}",
                "x",
                k >= 1.5,
                lambda df, k=k: df.with_columns((pl.col("x") - MEAN) * k + MEAN),
            )
        )
    for f in (0.01, 0.05, 0.10, 0.25):
        out.append(
            Shift(
                "new category",
                f,
                f"{f:.0%} of rows",
                "shop",
                f >= 0.05,
                lambda df, f=f: df.with_columns(
                    pl.when(some_rows(rows, f, 7))
                    .then(pl.lit("s_new"))
                    .otherwise(pl.col("shop"))
                    .alias("shop")
                ),
            )
        )
    for f in (0.05, 0.10, 0.20, 0.30):
        out.append(
            Shift(
                "missing values",
                f,
                f"{f:.0%} of x",
                "x",
                f >= 0.10,
                lambda df, f=f: df.with_columns(
                    pl.when(some_rows(rows, f, 8)).then(None).otherwise(pl.col("x")).alias("x")
                ),
            )
        )
    for f in (0.10, 0.25, 0.50):
        out.append(
            Shift(
                "one segment +1 sd",
                f,
                f"{f:.0%} of rows",
                "x",
                False,
                lambda df: df.with_columns(
                    pl.when(pl.col("segment") == "target")
                    .then(pl.col("x") + SD)
                    .otherwise(pl.col("x"))
                    .alias("x")
                ),
                segment_share=f,
            )
        )
    return out


def mixed_table(rows: int, seed: int, n_features: int) -> pl.DataFrame:
    """Numbers (normal, lognormal, counts), low-cardinality ints, categoricals of 3-50 levels."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i in range(n_features):
        kind = i % 6
        if kind == 0:
            cols[f"normal_{i}"] = rng.normal(10.0 * i, 1.0 + i, rows)
        elif kind == 1:
            cols[f"lognormal_{i}"] = rng.lognormal(0.0, 1.0, rows)
        elif kind == 2:
            cols[f"count_{i}"] = rng.poisson(3 + i, rows)
        elif kind == 3:
            cols[f"lowcard_{i}"] = rng.integers(0, 2 + i % 4, rows)
        else:
            levels = [3, 12, 50, 7, 25][i % 5]
            names = np.array([f"c{j:02d}" for j in range(levels)])
            cols[f"cat_{i}"] = names[rng.choice(levels, rows, p=rng.dirichlet(np.ones(levels)))]
    return pl.DataFrame(cols)


def chi_square_on_deciles(rcol: dict, ccol: dict) -> tuple[float, str, str]:
    """The numeric p-value before: a chi-square test on the reference's decile bins."""
    return statistics._chi2_p([rcol["drift_bins"]["counts"], ccol["counts_in"][0]]), "chi2", ""


GATES: dict[str, Callable[[dict, dict], tuple[float, str, str]]] = {
    "before": chi_square_on_deciles,
    "after": statistics._numeric_p,
}


def check(gate: str, ref_profile: dict, current: pl.DataFrame) -> Any:
    """`statistics.compare` with the numeric p-value of `gate`."""
    statistics._numeric_p = GATES[gate]
    try:
        return statistics.compare(ref_profile, current, SETTINGS)
    finally:
        statistics._numeric_p = GATES["after"]


def caught(rows: int, draws: int) -> list[dict[str, int]]:
    """Per shift, per gate: in how many of `draws` draws the shifted feature was flagged."""
    found = [dict.fromkeys(GATES, 0) for _ in shifts(rows)]
    for draw in range(draws):
        profiles: dict[float, dict] = {}
        for i, shift in enumerate(shifts(rows)):
            if shift.segment_share not in profiles:
                profiles[shift.segment_share] = profile.compute(
                    sample(rows, 1 + 2 * draw, shift.segment_share)
                )
            current = shift.apply(sample(rows, 2 + 2 * draw, shift.segment_share))
            for gate in GATES:
                report = check(gate, profiles[shift.segment_share], current)
                found[i][gate] += next(f for f in report.features if f.name == shift.feature).drifted
    return found


def false_alarms(rows: int, seeds: int, n_features: int) -> dict[str, tuple[int, int, int]]:
    """Per gate: (flagged features, features compared, dataset drifts)."""
    out = dict.fromkeys(GATES, (0, 0, 0))
    for seed in range(seeds):
        df = mixed_table(2 * rows, 1_000 + seed, n_features)
        mask = some_rows(df.height, 0.5, 2_000 + seed)
        ref_profile, current = profile.compute(df.filter(mask)), df.filter(~mask)
        for gate in GATES:
            report = check(gate, ref_profile, current)
            flagged, compared, dataset = out[gate]
            out[gate] = (
                flagged + sum(f.drifted for f in report.features),
                compared + len(report.features),
                dataset + report.dataset_drift,
            )
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--rows", type=int, nargs="+", default=[200, 1_000, 50_000], help="rows of reference and of current"
    )
    p.add_argument("--shift-seeds", type=int, default=10, help="draws of each shift")
    p.add_argument("--seeds", type=int, default=20, help="random splits for the false alarms")
    p.add_argument("--features", type=int, default=30, help="features in each random split")
    args = p.parse_args()
    sizes = sorted(args.rows)
    start = time.perf_counter()

    print(
        f"drift detection: reference and current of {', '.join(f'{n:,}' for n in sizes)} rows each; "
        f"thresholds: numeric {SETTINGS.numeric_threshold:g} sd (Wasserstein), categorical "
        f"{SETTINGS.categorical_threshold:g} (Jensen-Shannon), missing share "
        f"{SETTINGS.missing_share_threshold:g}; p-value gate at FDR {SETTINGS.false_discovery_rate:g}, "
        "numbers by chi-square on deciles (before) or KS on the sketch (after)\n"
    )
    found = {n: caught(n, args.shift_seeds) for n in sizes}
    alarms = {n: false_alarms(n, args.seeds, args.features) for n in sizes}
    listed = shifts(sizes[0])
    print(f"shifts caught, of {args.shift_seeds} draws:")
    print(
        table(
            ["shift", "size", "feature", "practical"] + [f"{n:,} {g}" for n in sizes for g in GATES],
            [
                (
                    s.kind,
                    s.label,
                    s.feature,
                    "yes" if s.practical else "",
                    *(str(found[n][i][g]) for n in sizes for g in GATES),
                )
                for i, s in enumerate(listed)
            ],
        )
    )
    print(f"\nfalse alarms on unshifted random splits ({args.seeds} seeds x {args.features} features):")
    print(
        table(
            ["rows a side", "features flagged before", "after", "dataset drift before", "after"],
            [
                (
                    f"{n:,}",
                    f"{alarms[n]['before'][0]} of {alarms[n]['before'][1]}",
                    f"{alarms[n]['after'][0]} of {alarms[n]['after'][1]}",
                    f"{alarms[n]['before'][2]} of {args.seeds}",
                    f"{alarms[n]['after'][2]} of {args.seeds}",
                )
                for n in sizes
            ],
        )
    )
    print(f"({time.perf_counter() - start:.1f} s)")

    ok = True
    parts = []
    for n in sizes:
        hits = {
            g: sum(f[g] for f, s in zip(found[n], listed, strict=True) if s.kind != "none") for g in GATES
        }
        fa = {g: alarms[n][g][0] + alarms[n][g][2] for g in GATES}
        ok &= fa["after"] <= fa["before"] and hits["after"] >= hits["before"]
        parts.append(
            f"rows={n} false_alarms={alarms[n]['before'][0]}->{alarms[n]['after'][0]} "
            f"caught={hits['before']}->{hits['after']}"
        )
    largest = sizes[-1]
    practical = [f["after"] for f, s in zip(found[largest], listed, strict=True) if s.practical]
    ok &= alarms[largest]["after"][0] == alarms[largest]["after"][2] == 0
    ok &= all(k == args.shift_seeds for k in practical)
    print(
        f"RESULT {'; '.join(parts)}; at {largest:,} rows practical_caught_after="
        f"{sum(practical)}/{len(practical) * args.shift_seeds} target=all {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
