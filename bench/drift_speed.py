"""`wb drift check` on 1M rows x 20 mixed columns vs Evidently's DataDriftPreset; peak memory.

    python bench/drift_speed.py [--rows 1000000] [--repeat 3] [--no-breakdown]
                                [--evidently-python /tmp/evidently-venv/bin/python]

Two seeded tables, reference and current (N rows each; 14 numeric columns of various
distributions, 6 text columns of 3 to 200 levels, some nulls; in the current a normal column is
moved by 0.5 sd, a gamma column scaled x1.5, a column's missing share raised from 5 % to 20 %, a
category reversed in its shares and another given a new level on 10 % of the rows), written to
Parquet with polars. Both are added with `datasets.add` to a fresh workspace, outside the
timing: adding the reference is when its profile (the reference side of every check) is
computed; adding the current is what `wb watch` does with a drop (its time is printed for
information). Timed, alternating, best of N: `drift.check(ws, "ref@1", "cur@1")` (reads and
verifies the current version's bytes, parses them, profiles them, compares with the stored
reference profile, stores the report) and `drift.check(ws, "ref@1", PATH)` on the current
Parquet file. Evidently (not a dependency of wb: a virtualenv of its own, `python -m venv
/tmp/evidently-venv && /tmp/evidently-venv/bin/pip install evidently "pandas<3" pyarrow`) runs
once, between wb's first and second rounds, in a subprocess with that interpreter: both Parquet
files are read with pandas (timed apart), then only `Report([DataDriftPreset()]).run(current,
reference)` is timed. Target: Evidently seconds / wb seconds >= 50.

Peak memory: `wb drift check --reference ref@1 --current cur@1 --json` runs in a subprocess and
its maximum resident set size (os.wait4 in a small launcher process, since a direct child of
this big process would inherit its high-water mark) is set against the in-memory size of the two tables
(polars `estimated_size()` of both frames). Target: peak RSS / size of the two tables <= 2. The
RSS of a bare `python -c "import polars, workbench.core.monitoring.drift"` is printed too, so that the
interpreter's own footprint shows. Exit status 0 when both targets are met.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from _common import MIB, parser, scratch, table, timed, wb_command

from workbench.core.data import datasets, profile, tabular
from workbench.core.monitoring import drift, statistics
from workbench.core.storage.workspace import Workspace

TARGET_SPEEDUP = 50.0
TARGET_MEMORY = 2.0

# The Evidently side, run with the interpreter of its virtualenv. Prints one JSON line.
EVIDENTLY_SCRIPT = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import pandas as pd
import evidently
from evidently import Report
from evidently.presets import DataDriftPreset
t1 = time.perf_counter()
reference = pd.read_parquet(sys.argv[1])
current = pd.read_parquet(sys.argv[2])
t2 = time.perf_counter()
snapshot = Report([DataDriftPreset()]).run(current, reference)
t3 = time.perf_counter()
result = snapshot.dict()
t4 = time.perf_counter()
columns, count = [], None
for m in result["metrics"]:
    config = m.get("config", {})
    if config.get("type", "").endswith("DriftedColumnsCount"):
        count = m["value"]
    elif config.get("type", "").endswith("ValueDrift"):
        columns.append({"name": config.get("column"), "method": config.get("method"),
                        "score": m["value"], "threshold": config.get("threshold")})
print(json.dumps({
    "version": evidently.__version__, "pandas": pd.__version__,
    "import_s": t1 - t0, "load_s": t2 - t1, "run_s": t3 - t2, "dict_s": t4 - t3,
    "pandas_mb": (reference.memory_usage(deep=True).sum()
                  + current.memory_usage(deep=True).sum()) / 2**20,
    "drifted_columns": count, "columns": columns,
}))
"""

# Keeps the Evidently subprocess off the network (telemetry) and quiet.
EVIDENTLY_ENV = {
    "DO_NOT_TRACK": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "PYTHONWARNINGS": "ignore",
}


# -- the input ------------------------------------------------------------------------------
def shares(levels: int, skew: float) -> np.ndarray:
    p = 1.0 / np.arange(1, levels + 1) ** skew
    return p / p.sum()


def make_table(rows: int, seed: int, shifted: bool) -> pl.DataFrame:
    """14 numeric and 6 text columns; with `shifted`, five of them move (see the docstring)."""
    rng = np.random.default_rng(seed)

    def with_nulls(values: Any, fraction: float) -> pl.Series:
        s = pl.Series(values)
        return s.scatter(np.flatnonzero(rng.random(rows) < fraction), None)

    def category(
        levels: int, skew: float, prefix: str, reverse: bool = False, new_share: float = 0.0
    ) -> pl.Series:
        p = shares(levels, skew)
        labels = pl.Series([f"{prefix}{i:03d}" for i in range(levels)] + [f"{prefix}NEW"])
        idx = rng.choice(levels, rows, p=p[::-1] if reverse else p)
        if new_share:
            idx[rng.random(rows) < new_share] = levels
        return labels.gather(idx)

    normal = rng.normal(50, 10, rows) + (5.0 if shifted else 0.0)  # +0.5 sd
    gamma = rng.gamma(2.0, 3.0 * (1.5 if shifted else 1.0), rows)  # scale x1.5
    mixture = np.where(rng.random(rows) < 0.3, rng.normal(-2, 0.5, rows), rng.normal(3, 1, rows))
    return pl.DataFrame(
        [
            pl.Series("n_normal", normal),
            pl.Series("n_lognormal", rng.lognormal(3.0, 0.8, rows)),
            pl.Series("n_exponential", rng.exponential(2.0, rows)),
            pl.Series("n_uniform", rng.uniform(0, 100, rows)),
            pl.Series("n_gamma", gamma),
            pl.Series("n_beta", rng.beta(2.0, 5.0, rows)),
            pl.Series("n_student_t", rng.standard_t(3, rows)),
            pl.Series("n_bimodal", mixture),
            pl.Series("n_visits", rng.poisson(4, rows)),
            pl.Series("n_orders", rng.negative_binomial(3, 0.05, rows)),
            pl.Series("n_rating", rng.integers(1, 6, rows)),  # 5 values: a category
            pl.Series("n_flag", (rng.random(rows) < 0.2).astype(np.int64)),
            with_nulls(np.round(rng.lognormal(1.5, 0.7, rows), 2), 0.02).alias("n_price"),
            with_nulls(rng.normal(20, 4, rows), 0.20 if shifted else 0.05).alias("n_sensor"),
            category(3, 1.0, "ch", new_share=0.10 if shifted else 0.0).alias("c_channel"),
            category(5, 0.5, "rg", reverse=shifted).alias("c_region"),
            with_nulls(category(12, 0.8, "ct"), 0.03).alias("c_category"),
            category(40, 1.0, "st").alias("c_store"),
            with_nulls(category(100, 0.7, "br"), 0.01).alias("c_brand"),
            category(200, 0.9, "it").alias("c_item"),
        ]
    )


def write_tables(rows: int, tmp: Path) -> tuple[Path, Path, float]:
    """Both Parquet files; returns their paths and the two frames' in-memory size in bytes."""
    size = 0.0
    paths = []
    for name, seed, shifted in (("reference", 1, False), ("current", 2, True)):
        df = make_table(rows, seed, shifted)
        size += df.estimated_size()
        path = tmp / f"{name}.parquet"
        df.write_parquet(path)
        paths.append(path)
        del df
        gc.collect()
    return paths[0], paths[1], size


# -- measuring ------------------------------------------------------------------------------
# Runs a command and writes its peak RSS (kB) to a file. A child's ru_maxrss on Linux also
# counts the memory of the process it was forked from (the high-water mark of the old address
# space is carried over at exec), so the measured command must not be a direct child of this
# big process: a small launcher process forks it instead.
LAUNCHER = """\
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd: list[str], **kwargs: Any) -> tuple[str, float, int]:
    """Run a command; returns its stdout, its wall time (a launcher's ~0.02 s included) and its
    peak RSS in bytes."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, rss.name, *cmd], capture_output=True, text=True, **kwargs
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(
                f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.strip()[-3000:]}"
            )
        return done.stdout, elapsed, int(rss.read()) * 1024  # Linux: kilobytes


def wb_round(ws: Workspace, cur_path: Path) -> dict[str, float]:
    """One check from the stored version and one from the file, in alternating order."""
    out = {}
    order = [("version", "cur@1"), ("file", str(cur_path))]
    if wb_round.count % 2:
        order.reverse()
    wb_round.count += 1
    for label, current in order:
        out[label] = timed(lambda current=current: drift.check(ws, "ref@1", current))
        gc.collect()
    return out


wb_round.count = 0  # type: ignore[attr-defined]


def breakdown(ws: Workspace) -> dict[str, float]:
    """The pieces of a check from the stored version, each timed on its own."""
    version = datasets.resolve(ws, "cur@1")
    ref_profile = datasets.resolve(ws, "ref@1").profile
    settings = ws.config.drift
    out = {}
    t0 = time.perf_counter()
    data = ws.store.read_verified(version.hash)
    t1 = time.perf_counter()
    df = tabular.read_stored(data, version.format)
    t2 = time.perf_counter()
    del data
    profile.compute(df)
    t3 = time.perf_counter()
    statistics.compare(ref_profile, df, settings)
    t4 = time.perf_counter()
    out["read + verify the stored bytes"] = t1 - t0
    out["parse them (Parquet)"] = t2 - t1
    out["profile.compute(current)"] = t3 - t2
    out["statistics.compare (profiles again, then compares)"] = t4 - t3
    del df
    gc.collect()
    return out


def run_evidently(python: str, ref_path: Path, cur_path: Path, tmp: Path) -> dict[str, Any]:
    script = tmp / "evidently_side.py"
    script.write_text(EVIDENTLY_SCRIPT, encoding="utf-8")
    env = {**os.environ, **EVIDENTLY_ENV}
    out, wall, rss = run_measured([python, str(script), str(ref_path), str(cur_path)], env=env, cwd=tmp)
    info = json.loads(out.strip().splitlines()[-1])
    info.update(wall_s=wall, rss=rss)
    return info


# -- the report -----------------------------------------------------------------------------
def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of each table (1000000)")
    p.add_argument("--repeat", type=int, default=3, help="wb rounds (3); best of them")
    p.add_argument("--no-breakdown", action="store_true", help="skip the per-piece timings")
    p.add_argument(
        "--evidently-python",
        type=Path,
        default=None,
        help="interpreter of a virtualenv with evidently, pandas and pyarrow; "
        "without it Evidently is skipped",
    )
    args = p.parse_args()
    if args.evidently_python is not None and not args.evidently_python.is_file():
        raise SystemExit(f"--evidently-python {args.evidently_python}: no such interpreter")
    os.environ.pop("WB_WORKSPACE", None)

    with scratch(args.dir, args.keep) as tmp:
        t = time.perf_counter()
        ref_path, cur_path, tables_bytes = write_tables(args.rows, tmp)
        print(
            f"tables: 2 x {args.rows:,} rows x 20 columns, {tables_bytes / MIB:,.0f} MiB in "
            f"memory (polars estimated_size, both); Parquet {ref_path.stat().st_size / MIB:.0f}"
            f" + {cur_path.stat().st_size / MIB:.0f} MiB; made in {time.perf_counter() - t:.1f}"
            " s"
        )

        ws, _ = Workspace.init(tmp / "ws")
        add_ref = timed(lambda: datasets.add(ws, ref_path, "ref"))
        add_cur = timed(lambda: datasets.add(ws, cur_path, "cur"))
        print(
            f"wb data add (untimed setup, for information): reference {add_ref:.2f} s (its "
            f"profile is the reference side of a check), current {add_cur:.2f} s (what "
            f"`wb watch` does with a drop before its check)"
        )
        gc.collect()

        rounds: list[dict[str, float]] = []
        pieces: list[dict[str, float]] = []
        evidently = None
        for i in range(args.repeat):
            rounds.append(wb_round(ws, cur_path))
            print(
                f"  wb round {i + 1}: from the version {rounds[-1]['version']:.2f} s, "
                f"from the file {rounds[-1]['file']:.2f} s",
                flush=True,
            )
            if not args.no_breakdown:
                pieces.append(breakdown(ws))
            if i == 0 and args.evidently_python is not None:
                print(
                    f"  Evidently DataDriftPreset on {args.rows:,} rows, once (this can take minutes)...",
                    flush=True,
                )
                evidently = run_evidently(str(args.evidently_python), ref_path, cur_path, tmp)
                print(f"  Evidently: run {evidently['run_s']:.1f} s", flush=True)
        wb_best = {k: min(r[k] for r in rounds) for k in ("version", "file")}
        report = drift.list_reports(ws, limit=1)[0]
        wb_drifted = report.drifted
        ws.close()

        # Peak memory, each in a fresh process.
        py = sys.executable
        _, _, rss_bare = run_measured([py, "-c", "import polars, workbench.core.monitoring.drift"])
        wb = wb_command()
        out_v, wall_v, rss_v = run_measured(
            [*wb, "drift", "check", "--reference", "ref@1", "--current", "cur@1", "--json"], cwd=tmp / "ws"
        )
        _, wall_f, rss_f = run_measured(
            [*wb, "drift", "check", "--reference", "ref@1", "--current", str(cur_path), "--json"],
            cwd=tmp / "ws",
        )
        cli_report = json.loads(out_v)

    # -- print ------------------------------------------------------------------------------
    rows = [
        [
            "wb: drift.check(ws, 'ref@1', 'cur@1')",
            f"{wb_best['version']:.2f}",
            "  ".join(f"{r['version']:.2f}" for r in rounds),
        ],
        [
            "wb: drift.check(ws, 'ref@1', PATH)",
            f"{wb_best['file']:.2f}",
            "  ".join(f"{r['file']:.2f}" for r in rounds),
        ],
    ]
    if evidently:
        rows.append(
            [
                f"Evidently {evidently['version']} DataDriftPreset: Report.run",
                f"{evidently['run_s']:.2f}",
                "(once)",
            ]
        )
    print()
    print(table(["what", "best s", "rounds"], rows))

    if pieces:
        print("\nwhere wb's check from the version goes (best of the rounds):")
        best = {k: min(p[k] for p in pieces) for k in pieces[0]}
        print(table(["piece", "s"], [[k, f"{v:.2f}"] for k, v in best.items()]))
        beyond = best["statistics.compare (profiles again, then compares)"] - best["profile.compute(current)"]
        print(f"(statistics.compare beyond its profile.compute: about {beyond:.2f} s)")

    print("\npeak memory (max RSS of a fresh process):")
    mem_rows = [
        ["python -c 'import polars, workbench.core.monitoring.drift'", f"{rss_bare / MIB:,.0f}", "", ""],
        [
            "wb drift check --current cur@1 --json",
            f"{rss_v / MIB:,.0f}",
            f"{rss_v / tables_bytes:.2f}",
            f"{wall_v:.2f}",
        ],
        [
            "wb drift check --current PATH --json",
            f"{rss_f / MIB:,.0f}",
            f"{rss_f / tables_bytes:.2f}",
            f"{wall_f:.2f}",
        ],
    ]
    if evidently:
        mem_rows.append(
            [
                f"Evidently (pandas frames {evidently['pandas_mb']:,.0f} MiB)",
                f"{evidently['rss'] / MIB:,.0f}",
                f"{evidently['rss'] / tables_bytes:.2f}",
                f"{evidently['wall_s']:.1f}",
            ]
        )
    print(table(["process", "MiB", "/ two tables", "wall s"], mem_rows))
    print(
        f"two tables in memory: {tables_bytes / MIB:,.0f} MiB; wb's check above the bare "
        f"interpreter: {(rss_v - rss_bare) / MIB:,.0f} MiB "
        f"({(rss_v - rss_bare) / tables_bytes:.2f} x the two tables)"
    )

    print(
        f"\nwb flagged {len(wb_drifted)} of {cli_report['n_features']} features: "
        f"{', '.join(sorted(wb_drifted))}; dataset drift {cli_report['dataset_drift']}"
    )
    if evidently:
        ev_flagged = sorted(
            c["name"]
            for c in evidently["columns"]
            if c["score"] is not None and c["threshold"] is not None and c["score"] >= c["threshold"]
        )
        print(
            f"Evidently flagged {len(ev_flagged)} of {len(evidently['columns'])} columns "
            f"(DriftedColumnsCount {evidently['drifted_columns']}): {', '.join(ev_flagged)}"
        )
        print(
            f"Evidently: import {evidently['import_s']:.1f} s, pandas.read_parquet of both "
            f"{evidently['load_s']:.1f} s, Report.run {evidently['run_s']:.1f} s, "
            f"snapshot.dict() {evidently['dict_s']:.1f} s, process wall "
            f"{evidently['wall_s']:.1f} s (pandas {evidently['pandas']})"
        )
        wb_scores = {f["name"]: f for f in cli_report["features"]}
        print(
            "\nper column (wb test/score vs Evidently method/score; both drift at >= 0.1; "
            "Evidently's JS is base e, wb's base 2):"
        )
        print(
            table(
                ["column", "wb test", "wb score", "wb", "Evidently method", "Ev score", "Ev"],
                [
                    [
                        c["name"],
                        wb_scores.get(c["name"], {}).get("test", "-"),
                        f"{wb_scores[c['name']]['score']:.3f}" if c["name"] in wb_scores else "-",
                        "YES" if c["name"] in wb_drifted else "",
                        c["method"],
                        f"{c['score']:.3f}",
                        "YES" if c["name"] in ev_flagged else "",
                    ]
                    for c in sorted(evidently["columns"], key=lambda c: c["name"])
                ],
            )
        )

    memory_ratio = rss_v / tables_bytes
    memory_ok = memory_ratio <= TARGET_MEMORY
    if evidently is None:
        print(
            "\nEvidently skipped (no --evidently-python): only the memory target is checked. "
            "Make one with `python -m venv /tmp/evidently-venv && "
            "/tmp/evidently-venv/bin/pip install evidently 'pandas<3' pyarrow`."
        )
        print(
            f"RESULT memory={memory_ratio:.2f} target<=2 wb={wb_best['version']:.2f}s "
            f"{'PASS' if memory_ok else 'FAIL'}"
        )
        return 0 if memory_ok else 1
    speedup = evidently["run_s"] / wb_best["version"]
    speed_ok = speedup >= TARGET_SPEEDUP
    print(
        f"\nEvidently / wb: {speedup:.1f} from the version, "
        f"{evidently['run_s'] / wb_best['file']:.1f} from the file"
    )
    ok = speed_ok and memory_ok
    print(
        f"RESULT ratio={speedup:.2f} target>=50 memory={memory_ratio:.2f} target<=2 "
        f"rows={args.rows} {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
