"""`wb model list` and `wb model show` with 1,000 versions and a few hundred alias moves.

    python bench/model_list.py [--versions 1000] [--moves 300] [--repeat 5] [--quick]
                               [--dir PATH] [--keep]

A fresh workspace (`Workspace.init`, the real schema) gets a small dataset and one finished
`wb train` run (a linear model, `training.train`); that run is registered through
`registry.register` as `demand@1` ... `demand@N` (N = --versions) and as four small models of
25 versions each. Then the aliases move --moves times through the public API: a third of the
moves promote the next version to `production` (through all three gates: the hash, the schema,
the performance on the training data), half move `staging` (the hash gate), the rest roll
`production` back. What is timed, interleaved, median of --repeat after one warm-up:
- in process: `registry.list_models(ws)`, `registry.show(ws, "demand")` (the latest version,
  its lineage and the whole alias history), `registry.show(ws, "demand@production")`;
- the CLI in subprocesses, start-up included: `wb model list --json`, `wb model show demand
  --json`, and, for information, the human `wb model list` and `wb model show demand` (which
  draws the alias history as a table), against `wb --help` (start-up alone) and `python -c
  pass`.
Where the CLI's time goes: start-up (`wb --help`), the in-process call, and the rest (opening
the workspace, rendering); the third-party packages each command imports are listed
(`python -X importtime`). Target: every timed command (API and JSON CLI) answers in under
0.5 s; the RESULT line gives the slowest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from _common import med, parser, run_timed, scratch, table, wb_command

TARGET_SECONDS = 0.5
SMALL_MODELS = ("churn", "price", "returns", "stock")
SMALL_VERSIONS = 25
HEAVY = ("polars", "numpy", "sklearn", "lightgbm", "skops", "scipy", "textual")


def build(root: Path, versions: int, moves: int) -> dict[str, float]:
    """The workspace; returns how long each part of building it took."""
    from workbench.core.data import datasets
    from workbench.core.experiments import training
    from workbench.core.models import registry
    from workbench.core.storage.workspace import Workspace

    spent: dict[str, float] = {}
    ws, _ = Workspace.init(root)
    rng = np.random.default_rng(0)
    n = 200
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, n)
    pl.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "x1": x1,
            "x2": x2,
            "units": 3 * x1 + 0.5 * x2 + rng.normal(scale=0.3, size=n),
        }
    ).write_csv(root / "sales.csv")
    datasets.add(ws, root / "sales.csv", "sales")
    start = time.perf_counter()
    run_id = training.train(ws, training.TrainSpec(data="sales@1", target="units", model="linear"))
    spent["train one linear run"] = time.perf_counter() - start

    start = time.perf_counter()
    for _ in range(versions):
        registry.register(ws, run_id, "demand")
    for name in SMALL_MODELS:
        for _ in range(SMALL_VERSIONS):
            registry.register(ws, run_id, name)
    spent[f"register {versions + len(SMALL_MODELS) * SMALL_VERSIONS} versions"] = time.perf_counter() - start

    start = time.perf_counter()
    production = staging = 0
    kinds = {"promote production": 0, "promote staging": 0, "rollback production": 0}
    for i in range(moves):
        if i % 6 in (0, 3):  # a third: the next version through the production gates
            production += 1
            result = registry.promote(ws, f"demand@{production}", "production", data="sales@1")
            assert result.promoted, result.gates
            kinds["promote production"] += 1
        elif i % 6 == 5 and production > 1:  # a sixth: roll production back
            registry.rollback(ws, "demand", reason="bench")
            kinds["rollback production"] += 1
        else:  # a half: staging moves on (the hash gate only)
            staging = staging % versions + 1
            registry.promote(ws, f"demand@{staging}", "staging")
            kinds["promote staging"] += 1
    spent[f"{moves} alias moves ({', '.join(f'{v} {k}' for k, v in kinds.items())})"] = (
        time.perf_counter() - start
    )
    history = len(registry.alias_history(ws, "demand"))
    assert history == moves, (history, moves)
    ws.close()
    return spent


IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)")


def heavy_imports(args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Which of HEAVY a CLI command imports, with their cumulative import time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workbench", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        m = IMPORTTIME.match(line)
        if m and m.group(4) in HEAVY:
            found[m.group(4)] = max(found.get(m.group(4), 0), int(m.group(2)))
    return [f"{name} {us / 1000:.0f} ms" for name, us in found.items()]


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--versions", type=int, default=1000, help="versions of `demand` (1000)")
    p.add_argument("--moves", type=int, default=300, help="alias moves (300)")
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions (5); median")
    p.add_argument("--quick", action="store_true", help="200 versions, 60 moves, 3 repetitions")
    args = p.parse_args()
    if args.quick:
        args.versions, args.moves, args.repeat = 200, 60, 3

    from workbench.core.models import registry
    from workbench.core.storage.workspace import Workspace

    env = {k: v for k, v in os.environ.items() if k not in ("WB_WORKSPACE", "WB_RUN_ID")}
    env["COLUMNS"] = "120"
    wb = wb_command()
    with scratch(args.dir, args.keep) as tmp:
        root = tmp / "ws"
        root.mkdir()
        os.chdir(tmp)  # runs record the git state of the current folder: a plain one
        spent = build(root, args.versions, args.moves)
        for what, seconds in spent.items():
            print(f"built: {what} in {seconds:.1f} s")

        ws = Workspace(root)
        listed = registry.list_models(ws)
        shown = registry.show(ws, "demand")
        [demand] = [m for m in listed if m.name == "demand"]
        print(
            f"{len(listed)} models, {sum(m.versions for m in listed)} versions; demand: "
            f"{demand.versions} versions, aliases {demand.aliases}, "
            f"{len(shown.alias_history or ())} alias events"
        )

        api = {
            "registry.list_models(ws)": lambda: registry.list_models(ws),
            'registry.show(ws, "demand")': lambda: registry.show(ws, "demand"),
            'registry.show(ws, "demand@production")': lambda: registry.show(ws, "demand@production"),
        }
        cli = {
            "wb model list --json": [*wb, "model", "list", "--json"],
            "wb model show demand --json": [*wb, "model", "show", "demand", "--json"],
        }
        info = {
            "wb model list (human, info)": [*wb, "model", "list"],
            "wb model show demand (human, info)": [*wb, "model", "show", "demand"],
            "wb --help (start-up, info)": [*wb, "--help"],
            "python -c pass (info)": [sys.executable, "-c", "pass"],
        }
        commands = {**cli, **info}
        names = [*api, *commands]
        times: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(-1, args.repeat):  # one warm-up round
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                if name in api:
                    start = time.perf_counter()
                    api[name]()
                    elapsed = time.perf_counter() - start
                else:
                    elapsed = run_timed(commands[name], root, env)
                if rep >= 0:
                    times[name].append(elapsed)
        ws.close()
        probes = {
            name: heavy_imports(cmd[len(wb) :], root, env)
            for name, cmd in commands.items()
            if cmd[: len(wb)] == wb
        }

    rows = [
        (n, f"{med(t) * 1000:.1f}", f"{min(t) * 1000:.1f}", f"{max(t) * 1000:.1f}") for n, t in times.items()
    ]
    print()
    print(table(["", "median ms", "best ms", "worst ms"], rows))

    startup = med(times["wb --help (start-up, info)"])
    in_process = {
        "wb model list --json": med(times["registry.list_models(ws)"]),
        "wb model show demand --json": med(times['registry.show(ws, "demand")']),
        "wb model list (human, info)": med(times["registry.list_models(ws)"]),
        "wb model show demand (human, info)": med(times['registry.show(ws, "demand")']),
    }
    print(
        "\nwhere the CLI's time goes (medians): start-up = `wb --help`; call = the same call "
        "in process; rest = opening the workspace, the commands' own imports, rendering"
    )
    parts = []
    for name, call in in_process.items():
        total = med(times[name])
        parts.append(
            (
                name,
                f"{total * 1000:.0f}",
                f"{startup * 1000:.0f}",
                f"{call * 1000:.1f}",
                f"{(total - startup - call) * 1000:.0f}",
                ", ".join(probes[name]) or "none",
            )
        )
    print(
        table(
            ["command", "total ms", "start-up ms", "call ms", "rest ms", f"imports of {'/'.join(HEAVY)}"],
            parts,
        )
    )

    timed_names = [*api, *cli]
    slowest = max(timed_names, key=lambda n: med(times[n]))
    worst = med(times[slowest])
    over = [n for n in info if "human" in n and med(times[n]) > TARGET_SECONDS]
    note = f" (human output over {TARGET_SECONDS} s: {', '.join(over)})" if over else ""
    ok = worst <= TARGET_SECONDS
    print(
        f"\nRESULT slowest={worst:.3f}s ({slowest}) target<={TARGET_SECONDS}s "
        f"versions={args.versions} moves={args.moves} median of {args.repeat}{note} "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
