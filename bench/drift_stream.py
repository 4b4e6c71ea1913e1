"""`wb drift check` and `wb data validate` of a big CSV on a small memory budget, against the
same commands reading it whole and a polars streaming scan of the file.

    python bench/drift_stream.py [--size-mb 1024] [--budget-mb 256] [--no-whole] [--dir PATH]

Generates the retail CSV of bench/data_add_stream.py (the current side) and a 500,000-row
reference from another seed, added as `retail@1` with the contract inferred from it. Then
runs, each in its own process so that peak RSS is the command's own: the polars streaming scan
of bench/data_add_stream.py; `wb drift check --reference retail@1 --current big.csv --json`
and `wb data validate big.csv --contract retail --json` with `[data] memory_budget_mb` set to
the budget (read in batches) and, unless --no-whole, set high enough to read the file whole.
Prints each one's time and peak RSS, the ratios to the scan and to the whole read, and what
the streamed results differ by: the largest Wasserstein score difference (in reference
standard deviations) and whether every other figure of the report, and every violation, is
the same. Issue 14's figure: a 5 GB current file (`--size-mb 5120 --budget-mb 1024 --no-whole`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from _common import parser, result, scratch, table
from data_add import retail_frame
from data_add_stream import SCAN, make_csv

TIME_TARGET = 1.5  # the streamed drift check against the streaming scan (issue 14's add target)
# Runs a command with its stdout to a file; prints its peak RSS (bytes) and exit code.
PEAK_RSS = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'wb')); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, r.returncode)"
)
WHOLE_MB = 1_000_000


def measured(cmd: list[str], cwd: Path, out: Path) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of `cmd` in a fresh child, its stdout to `out`; exit 0 or
    1 (a check that found something) only."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(out), *cmd], cwd=cwd, check=True, capture_output=True, text=True
    )
    rss, code = map(int, done.stdout.split())
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {out.read_text()[-500:]}")
    return time.perf_counter() - start, rss


def set_budget(ws: Path, mb: int) -> None:
    config = ws / ".wb" / "config.toml"
    text = config.read_text()
    start = text.index("memory_budget_mb = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + f"memory_budget_mb = {mb}" + text[end:])


def report_difference(streamed: dict, whole: dict) -> tuple[float, bool]:
    """The largest Wasserstein score difference between two reports of the same data, and
    whether everything else (p-values, other scores, verdicts, counts) is the same."""
    largest = 0.0
    same = streamed["dataset_drift"] == whole["dataset_drift"]
    by_name = {f["name"]: f for f in whole["features"]}
    for f in streamed["features"]:
        w = by_name[f["name"]]
        for a, b in zip(f["tests"], w["tests"], strict=True):
            if a["test"] == "wasserstein":
                largest = max(largest, abs(a["score"] - b["score"]))
                same &= a["p_value"] == b["p_value"] and a["drifted"] == b["drifted"]
            else:
                same &= a == b
        same &= f.get("distribution") == w.get("distribution")
    return largest, same


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=1024)
    p.add_argument("--budget-mb", type=int, default=256)
    p.add_argument("--no-whole", action="store_true", help="skip the whole reads (a file bigger than RAM)")
    args = p.parse_args()
    mb = 2**20
    with scratch(args.dir, args.keep) as root:
        csv = root / "big.csv"
        make_csv(csv, args.size_mb)
        ref = root / "ref.csv"
        retail_frame(500_000, nulls_in_last_column=False, seed=11).write_csv(ref)
        ws = root / "ws"
        for cmd in (
            ["wb", "init", str(ws)],
            ["wb", "data", "add", str(ref), "--name", "retail"],
            ["wb", "data", "contract", "infer", "retail@1", "-o", str(root / "retail.toml")],
            ["wb", "data", "contract", "set", "retail", str(root / "retail.toml")],
        ):
            subprocess.run(cmd, cwd=ws if cmd[1] != "init" else root, check=True, capture_output=True)
        drift_cmd = ["wb", "drift", "check", "--reference", "retail@1", "--current", str(csv), "--json"]
        validate_cmd = ["wb", "data", "validate", str(csv), "--contract", "retail", "--json"]
        rows = []
        scan = measured([sys.executable, "-c", SCAN, str(csv)], root, root / "scan.out")
        rows.append(["polars streaming scan", *scan])
        runs: dict[str, tuple[float, int]] = {}
        outputs: dict[str, dict] = {}
        for how, budget in [("batches", args.budget_mb)] + ([] if args.no_whole else [("whole", WHOLE_MB)]):
            set_budget(ws, budget)
            for what, cmd in (("drift check", drift_cmd), ("validate", validate_cmd)):
                out = root / f"{what}-{how}.json"
                runs[f"{what} {how}"] = measured(cmd, ws, out)
                outputs[f"{what} {how}"] = json.loads(out.read_text())
                rows.append([f"wb {what}, {how}", *runs[f"{what} {how}"]])
        print(f"{csv.stat().st_size / mb:,.0f} MB CSV, budget {args.budget_mb} MB")
        print(
            table(
                ["command", "seconds", "peak RSS MB"],
                [[r[0], f"{r[1]:.1f}", f"{r[2] / mb:,.0f}"] for r in rows],
            )
        )
        drift_s, drift_rss = runs["drift check batches"]
        print(
            f"drift check in batches / scan: time {drift_s / scan[0]:.2f}, peak RSS {drift_rss / scan[1]:.2f}"
        )
        print(f"peak RSS drift check in batches / budget: {drift_rss / (args.budget_mb * mb):.2f}")
        if not args.no_whole:
            for what in ("drift check", "validate"):
                (bs, brss), (ws_, wrss) = runs[f"{what} batches"], runs[f"{what} whole"]
                print(f"{what} in batches / whole: time {bs / ws_:.2f}, peak RSS {brss / wrss:.2f}")
            largest, same = report_difference(outputs["drift check batches"], outputs["drift check whole"])
            print(
                f"streamed report vs whole: largest Wasserstein difference {largest:.4f} reference std; "
                f"everything else the same: {same}"
            )
            print(f"violations the same: {outputs['validate batches'] == outputs['validate whole']}")
        ok = result(drift_s / scan[0], TIME_TARGET, extra=f"rss_ratio={drift_rss / scan[1]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
