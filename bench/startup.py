"""Start-up time of `wb --help`, `wb status` and `wb data list` vs `python -c pass`.

    python bench/startup.py [--repeat 20] [--dir PATH]

Each command runs in a subprocess inside a temporary workspace that holds one small dataset,
all commands interleaved, median of N (after two untimed warm-up runs each). `wb` is this
environment's console script, run directly (not through a pyenv shim). Then each command runs
once more under `python -X importtime` to list which heavy libraries it imported and the top-level
imports that cost the most. Target (the issue's wording): `wb --help` well under 0.5 s, and none
of sklearn, lightgbm, scipy, textual imported by these commands. The ratio to `python -c pass`
(the interpreter's own start-up, measured in the same run) is printed alongside.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

from _common import med, parser, run_quiet, run_timed, scratch, table, wb_command

TARGET_SECONDS = 0.5
FORBIDDEN = ("sklearn", "lightgbm", "scipy", "textual")
WATCHED = ("polars", "numpy", "pandas", "pyarrow", "rich", "typer", "click")  # information
COMMANDS = {"wb --help": ["--help"], "wb status": ["status"], "wb data list": ["data", "list"]}

# Runs wb's entry point in-process and reports, at exit, the top-level modules it imported.
PROBE = """\
import atexit, sys
def _report():
    names = sorted({m.split(".")[0] for m in sys.modules})
    sys.stderr.write("\\nWB_BENCH_MODULES " + " ".join(names) + "\\n")
atexit.register(_report)
sys.argv = ["wb", *sys.argv[1:]]
from workbench.cli.main import main
main()
"""
IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def make_workspace(root: Path, env: dict[str, str]) -> None:
    root.mkdir()
    small = root / "small.csv"
    with open(small, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["date", "store_id", "price", "units_sold"])
        for i in range(200):
            w.writerow([f"2026-01-{i % 28 + 1:02d}", f"S{i % 7:02d}", f"{1 + i % 13 * 0.5:.2f}", i % 17])
    run_quiet([*wb_command(), "init", root], env=env, cwd=root)
    run_quiet([*wb_command(), "data", "add", small, "--name", "sales"], env=env, cwd=root)


def probe(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[set[str], list[tuple]]:
    """The top-level modules a command imports, and its dearest top-level imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PROBE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"wb {' '.join(args)} failed under the probe: {done.stderr[-2000:]}")
    modules: set[str] = set()
    entries: list[tuple[int, str, int]] = []  # (depth, module, cumulative us), children first
    for line in done.stderr.splitlines():
        if line.startswith("WB_BENCH_MODULES "):
            modules = set(line.split()[1:])
        elif m := IMPORTTIME.match(line):
            entries.append((len(m.group(3)) // 2, m.group(4), int(m.group(2))))
    # Charge each package the cumulative time of its imports made from another package
    # (walking the tree parents first; nested packages also count inside their importer).
    # Start-up of the interpreter itself (site, .pth files) is left out: `python -c pass` pays
    # it too. So are the standard library and workbench: what is left is third-party.
    costs: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    for depth, module, cumulative in reversed(entries):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        package = module.split(".")[0]
        root = stack[0][1] if stack else package
        if root not in ("site", "encodings") and (not stack or stack[-1][1] != package):
            costs[package] = costs.get(package, 0) + cumulative
        stack.append((depth, package))
    skip = {"workbench", *sys.stdlib_module_names}
    top = sorted(
        ((n, us) for n, us in costs.items() if n not in skip and not n.startswith("_") and us >= 1000),
        key=lambda kv: -kv[1],
    )[:6]
    return modules, top


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=20, help="timed runs of each command (20)")
    args = p.parse_args()
    env = dict(os.environ)
    env.pop("WB_WORKSPACE", None)
    env["COLUMNS"] = "100"
    wb = wb_command()
    commands = {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "python -c 'import typer' (info)": [sys.executable, "-c", "import typer"],
        **{name: [*wb, *a] for name, a in COMMANDS.items()},
    }

    with scratch(args.dir, args.keep) as tmp:
        root = tmp / "ws"
        make_workspace(root, env)
        names = list(commands)
        times: dict[str, list[float]] = {n: [] for n in names}
        print(
            f"running {len(names)} commands in {root}: 2 warm-up runs, then {args.repeat} "
            f"timed runs each, interleaved",
            flush=True,
        )
        for rep in range(-2, args.repeat):
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                elapsed = run_timed(commands[name], root, env)
                if rep >= 0:
                    times[name].append(elapsed)
        probes = {name: probe(a, root, env) for name, a in COMMANDS.items()}

    base = med(times["python -c pass (baseline)"])
    rows = [
        (n, f"{med(t) * 1000:.0f}", f"{min(t) * 1000:.0f}", f"{med(t) / base:.1f}") for n, t in times.items()
    ]
    print()
    print(table(["command", "median ms", "best ms", "vs python -c pass"], rows))
    print()
    heavy_found: dict[str, list[str]] = {}
    for name, (modules, top) in probes.items():
        heavy = [m for m in FORBIDDEN if m in modules]
        heavy_found[name] = heavy
        watched = [m for m in WATCHED if m in modules]
        print(
            f"{name}: {len(modules)} top-level modules; forbidden imported: "
            f"{', '.join(heavy) or 'none'}; of {', '.join(WATCHED)}: {', '.join(watched)}"
        )
        print(
            "    dearest third-party imports (-X importtime, cumulative): "
            + ", ".join(f"{n} {us / 1000:.0f} ms" for n, us in top)
        )
    print()
    help_s = med(times["wb --help"])
    worst = max(COMMANDS, key=lambda n: med(times[n]))
    any_heavy = sorted({m for h in heavy_found.values() for m in h})
    ok = help_s <= TARGET_SECONDS and not any_heavy
    print(
        f"RESULT ratio={help_s / base:.2f} wb_help={help_s:.3f}s target<={TARGET_SECONDS}s "
        f"(slowest: {worst} {med(times[worst]):.3f}s) "
        f"heavy_imports={','.join(any_heavy) or 'none'} {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
