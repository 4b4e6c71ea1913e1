"""`wb data add` of a big CSV on a small memory budget vs a polars streaming scan of the file.

    python bench/data_add_stream.py [--size-mb 1024] [--budget-mb 256] [--dir PATH]

Generates the retail CSV of bench/data_add.py (repeated to the size asked: do not point it at
a small disk), then runs, each in its own process so that peak RSS is the command's own:
`wb data add` with `[data] memory_budget_mb` set to the budget, and a polars streaming scan
(`pl.scan_csv(path).select(pl.all().null_count()).collect(engine="streaming")`). Prints each
one's time and peak RSS, and the ratios add / scan. Issue 14's targets (5 GB, 1 GB budget):
peak RSS <= 1.2 GB, time <= 1.5x the scan.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _common import parser, result, scratch, table
from data_add import retail_frame

TIME_TARGET = 1.5
PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
)
SCAN = (
    "import sys, polars as pl; "
    "pl.scan_csv(sys.argv[1], glob=False).select(pl.all().null_count()).collect(engine='streaming')"
)
# The floor under an add: the same scan while a thread stores the file as an add does (hash,
# copy into the workspace's store, fsync), profiling nothing.
SCAN_WHILE_STORING = (
    "import sys, threading, polars as pl; from pathlib import Path; "
    "from workbench.core.storage.workspace import Workspace; "
    "ws = Workspace.find(Path(sys.argv[2])); "
    "t = threading.Thread(target=lambda: ws.store.stage_file(Path(sys.argv[1])).discard()); t.start(); "
    "pl.scan_csv(sys.argv[1], glob=False).select(pl.all().null_count()).collect(engine='streaming'); "
    "t.join()"
)


def measured(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of `cmd` run in a fresh child."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *cmd], cwd=cwd, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, int(out.stdout)


def make_csv(path: Path, size_mb: int) -> None:
    part = path.with_suffix(".part.csv")
    retail_frame(500_000, nulls_in_last_column=False).write_csv(part)
    body = part.read_bytes()
    header, rows = body.split(b"\n", 1)
    with open(path, "wb") as out:
        out.write(header + b"\n")
        while out.tell() < size_mb * 2**20:
            out.write(rows)
    part.unlink()


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=1024)
    p.add_argument("--budget-mb", type=int, default=256)
    args = p.parse_args()
    with scratch(args.dir) as root:
        csv = root / "big.csv"
        make_csv(csv, args.size_mb)
        ws = root / "ws"
        subprocess.run(["wb", "init", str(ws)], check=True, capture_output=True)
        config = ws / ".wb" / "config.toml"
        config.write_text(
            config.read_text().replace("memory_budget_mb = 1024", f"memory_budget_mb = {args.budget_mb}")
        )
        scan_s, scan_rss = measured([sys.executable, "-c", SCAN, str(csv)], root)
        floor_s, floor_rss = measured([sys.executable, "-c", SCAN_WHILE_STORING, str(csv), str(ws)], root)
        add_s, add_rss = measured(["wb", "data", "add", str(csv), "--name", "big"], ws)
        mb = 2**20
        print(f"{csv.stat().st_size / mb:,.0f} MB CSV, budget {args.budget_mb} MB")
        print(
            table(
                ["command", "seconds", "peak RSS MB"],
                [
                    ["polars streaming scan", f"{scan_s:.1f}", f"{scan_rss / mb:,.0f}"],
                    ["the scan while storing the file", f"{floor_s:.1f}", f"{floor_rss / mb:,.0f}"],
                    ["wb data add", f"{add_s:.1f}", f"{add_rss / mb:,.0f}"],
                ],
            )
        )
        print(f"peak RSS add / budget: {add_rss / (args.budget_mb * mb):.2f}")
        print(f"the floor (the scan while storing) / scan: {floor_s / scan_s:.2f}")
        print(f"add / the floor: {add_s / floor_s:.2f}")
        ok = result(add_s / scan_s, TIME_TARGET, extra=f"rss_ratio={add_rss / scan_rss:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
