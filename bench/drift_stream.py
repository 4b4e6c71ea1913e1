"""`wb drift check` and `wb data validate` of a big CSV on a small memory budget, against the
same commands reading it whole and a polars streaming scan of the file.

    python bench/drift_stream.py [--size-mb 1024] [--budget-mb 256] [--no-whole] [--repeat 1] [--dir PATH]

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
# Runs a command with its stdout to a file; prints its peak RSS (bytes), CPU seconds and exit code.
PEAK_RSS = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], 'wb')); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_maxrss * 1024, u.ru_utime + u.ru_stime, r.returncode)"
)
WHOLE_MB = 1_000_000


def measured(cmd: list[str], cwd: Path, out: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in bytes) of `cmd` in a fresh child, its stdout to
    `out`; exit 0 or 1 (a check that found something) only. CPU seconds say more than wall
    seconds on a shared machine: waiting for a core costs none."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(out), *cmd], cwd=cwd, check=True, capture_output=True, text=True
    )
    rss, cpu, code = done.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {out.read_text()[-500:]}")
    return time.perf_counter() - start, float(cpu), int(rss)


def best(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The least wall and CPU seconds and peak RSS of the repetitions of one command."""
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)


def ratios(a: tuple[float, float, int], b: tuple[float, float, int]) -> str:
    return f"time {a[0] / b[0]:.2f}, CPU {a[1] / b[1]:.2f}, peak RSS {a[2] / b[2]:.2f}"


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
    p.add_argument("--repeat", type=int, default=1, help="rounds, interleaved; the best of each is shown")
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
        rounds: dict[str, list[tuple[float, float, int]]] = {}
        outputs: dict[str, dict] = {}
        for _ in range(args.repeat):
            scan_cmd = [sys.executable, "-c", SCAN, str(csv)]
            rounds.setdefault("polars streaming scan", []).append(measured(scan_cmd, root, root / "scan.out"))
            for how, budget in [("batches", args.budget_mb)] + (
                [] if args.no_whole else [("whole", WHOLE_MB)]
            ):
                set_budget(ws, budget)
                for what, cmd in (("drift check", drift_cmd), ("validate", validate_cmd)):
                    out = root / f"{what}-{how}.json"
                    rounds.setdefault(f"wb {what}, {how}", []).append(measured(cmd, ws, out))
                    outputs[f"{what} {how}"] = json.loads(out.read_text())
        runs = {key: best(found) for key, found in rounds.items()}
        print(f"{csv.stat().st_size / mb:,.0f} MB CSV, budget {args.budget_mb} MB, best of {args.repeat}")
        print(
            table(
                ["command", "seconds", "CPU seconds", "peak RSS MB"],
                [[key, f"{w:.1f}", f"{c:.1f}", f"{r / mb:,.0f}"] for key, (w, c, r) in runs.items()],
            )
        )
        scan, streamed = runs["polars streaming scan"], runs["wb drift check, batches"]
        print(f"drift check in batches / scan: {ratios(streamed, scan)}")
        print(f"peak RSS drift check in batches / budget: {streamed[2] / (args.budget_mb * mb):.2f}")
        if not args.no_whole:
            for what in ("drift check", "validate"):
                batches, whole = runs[f"wb {what}, batches"], runs[f"wb {what}, whole"]
                print(f"{what} in batches / whole: {ratios(batches, whole)}")
            largest, same = report_difference(outputs["drift check batches"], outputs["drift check whole"])
            print(
                f"streamed report vs whole: largest Wasserstein difference {largest:.4f} reference std; "
                f"everything else the same: {same}"
            )
            print(f"violations the same: {outputs['validate batches'] == outputs['validate whole']}")
        ok = result(streamed[0] / scan[0], TIME_TARGET, extra=f"rss_ratio={streamed[2] / scan[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
